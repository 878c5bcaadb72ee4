import { and, desc, eq, gte, inArray, isNull, sql } from 'drizzle-orm';
import type { CanonicalEvent, MetricId } from '@pulsehub/contracts';
import { openDb, type Db, type StoreTarget } from './open.js';
import { consents, deadLetters, devices, observations, tokens, users } from './schema.js';
import { commitBatch, deadLetterRow, type CommitResult, type DeadLetterInput, type IngestBatch } from './batch.js';
import { createBatchCommitter } from './batch-copy.js';
import type { Sql } from 'postgres';
import { createHistoryRepo, type HistoryRepo } from './history.js';
import { createRollupRepo, type RollupRepo } from './rollups.js';
import { toEvent } from './rows.js';
import type { StorageLayout } from './timescale.js';
import { createWebhookRepo, type WebhookRepo } from './webhooks.js';
import { createSyncLogRepo, type SyncLogRepo } from './sync-log.js';

export type { CommitResult, DeadLetterInput, IngestBatch };

export interface DeadLetter extends Required<DeadLetterInput> {
  id: number;
  replayedAt: Date | null;
}

export interface UserRow { id: string; name: string; birthYear: number | null; maxHr: number | null; ftpWatts: number | null }
export interface DeviceRow { id: string; userId: string | null; kind: string; model: string | null; adapter: string; allowedAdapters: string[] | null; revokedAt: Date | null; lastSeenAt: Date | null }

export interface Store {
  readonly kind: StoreTarget['kind'];
  readonly db: Db;
  /** TimescaleDB hypertable or plain table (detected when migrating). */
  readonly storage: StorageLayout;
  /** Inserts events, ignoring ids already stored (idempotent). Returns how many were new. */
  insertObservations(events: readonly CanonicalEvent[]): Promise<number>;
  /** One transaction: new users, events (idempotent, daily rollups updated from the new ones), dead letters. */
  commitBatch(batch: IngestBatch): Promise<CommitResult>;
  /** Batches `commitBatch` stored with COPY (Postgres), and those that held a stored reading and took the idempotent path. */
  readonly commitStats: { readonly copied: number; readonly fellBack: number };
  readonly history: HistoryRepo;
  readonly rollups: RollupRepo;
  /** Webhook subscriptions, their outbox and deliveries (issue 14). */
  readonly webhooks: WebhookRepo;
  /** Sharing consents with a purpose, the analyzer sync log and its insights (issue 14). */
  readonly syncLog: SyncLogRepo;
  /** The newest event of each metric for a user. */
  latestObservations(userId: string): Promise<CanonicalEvent[]>;
  /** Sum of step counts whose reading ends at or after `since`. */
  stepsSince(userId: string, since: Date): Promise<number>;
  countObservations(filter?: { userId?: string; metric?: MetricId }): Promise<number>;
  insertDeadLetters(rows: readonly DeadLetterInput[]): Promise<void>;
  listDeadLetters(options?: { limit?: number; reason?: string; id?: number; pending?: boolean }): Promise<DeadLetter[]>;
  /** Marks dead letters replayed (their payload was stored after an adapter fix). */
  markDeadLettersReplayed(ids: readonly number[]): Promise<void>;
  upsertUser(user: { id: string; name: string; birthYear?: number | null; maxHr?: number | null }): Promise<void>;
  getUser(id: string): Promise<UserRow | undefined>;
  /** Sets (or clears, with null) a user's FTP; false when there is no such user. */
  setFtp(id: string, watts: number | null): Promise<boolean>;
  /** Creates users that do not exist yet (named by their id): a valid device token vouches for them. */
  ensureUsers(ids: readonly string[]): Promise<void>;
  listUsers(): Promise<UserRow[]>;
  /** Creates a device, or updates a live one of the same owner; false (nothing written) when it exists under another owner, as another sort of device, or revoked. */
  upsertDevice(device: { id: string; userId: string | null; kind: string; model?: string | null; adapter?: string; allowedAdapters?: readonly string[] | null }): Promise<boolean>;
  getDevice(id: string): Promise<DeviceRow | undefined>;
  recordToken(token: { jti: string; subject: string; kind: string; expiresAt?: Date | null }): Promise<void>;
  revokeToken(jti: string): Promise<boolean>;
  revokedTokenIds(): Promise<string[]>;
  grantConsent(athleteId: string, viewerId: string): Promise<void>;
  revokeConsent(athleteId: string, viewerId: string): Promise<boolean>;
  /** Athletes that currently share with a viewer (coach or overlay subject). */
  consentedAthletes(viewerId: string): Promise<string[]>;
  close(): Promise<void>;
}

export function createStore(db: Db, kind: StoreTarget['kind'], close: () => Promise<void>, storage: StorageLayout = 'plain', client?: Sql): Store {
  const committer = createBatchCommitter(db, client);
  return {
    kind,
    db,
    storage,
    history: createHistoryRepo(db),
    rollups: createRollupRepo(db),
    webhooks: createWebhookRepo(db),
    syncLog: createSyncLogRepo(db),
    async insertObservations(events) {
      return (await commitBatch(db, { events })).inserted;
    },
    commitBatch: (batch) => committer.commit(batch),
    commitStats: committer.stats,
    async latestObservations(userId) {
      const rows = await db
        .selectDistinctOn([observations.metric])
        .from(observations)
        .where(eq(observations.userId, userId))
        .orderBy(observations.metric, desc(observations.timeEnd), desc(observations.receivedAt));
      return rows.map(toEvent);
    },
    async stepsSince(userId, since) {
      const [row] = await db
        .select({ total: sql<string | null>`sum((${observations.values}->'count'->>'value')::numeric)` })
        .from(observations)
        .where(and(eq(observations.userId, userId), eq(observations.metric, 'steps'), gte(observations.timeEnd, since)));
      return Number(row?.total ?? 0);
    },
    async countObservations(filter = {}) {
      const conds = [];
      if (filter.userId) conds.push(eq(observations.userId, filter.userId));
      if (filter.metric) conds.push(eq(observations.metric, filter.metric));
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(observations).where(conds.length ? and(...conds) : undefined);
      return Number(row?.n ?? 0);
    },
    async insertDeadLetters(rows) {
      if (rows.length === 0) return;
      await db.insert(deadLetters).values(rows.map(deadLetterRow));
    },
    async listDeadLetters(options = {}) {
      const rows = await db
        .select()
        .from(deadLetters)
        .where(and(
          options.reason ? eq(deadLetters.reason, options.reason) : undefined,
          options.id !== undefined ? eq(deadLetters.id, options.id) : undefined,
          options.pending ? isNull(deadLetters.replayedAt) : undefined,
        ))
        .orderBy(desc(deadLetters.id))
        .limit(options.limit ?? 100);
      return rows;
    },
    async markDeadLettersReplayed(ids) {
      if (ids.length === 0) return;
      await db.update(deadLetters).set({ replayedAt: new Date() }).where(inArray(deadLetters.id, [...ids]));
    },
    async upsertUser(u) {
      const values = { id: u.id, name: u.name, birthYear: u.birthYear ?? null, maxHr: u.maxHr ?? null };
      await db.insert(users).values(values).onConflictDoUpdate({ target: users.id, set: { name: values.name, birthYear: values.birthYear, maxHr: values.maxHr } });
    },
    async getUser(id) {
      const [row] = await db.select({ id: users.id, name: users.name, birthYear: users.birthYear, maxHr: users.maxHr, ftpWatts: users.ftpWatts }).from(users).where(eq(users.id, id));
      return row;
    },
    async setFtp(id, watts) {
      const rows = await db.update(users).set({ ftpWatts: watts }).where(eq(users.id, id)).returning({ id: users.id });
      return rows.length > 0;
    },
    async ensureUsers(ids) {
      if (ids.length === 0) return;
      await db.insert(users).values(ids.map((id) => ({ id, name: id }))).onConflictDoNothing({ target: users.id });
    },
    async listUsers() {
      return db.select({ id: users.id, name: users.name, birthYear: users.birthYear, maxHr: users.maxHr, ftpWatts: users.ftpWatts }).from(users).orderBy(users.id);
    },
    async upsertDevice(d) {
      const values = { id: d.id, userId: d.userId, kind: d.kind, model: d.model ?? null, adapter: d.adapter ?? 'pulsehub.v1', allowedAdapters: d.allowedAdapters ? [...d.allowedAdapters] : null };
      // Never a takeover nor an un-revoke: an existing row is updated only while it is live, has
      // the same owner and is the same sort of device (gateway or not). Restoring a revoked
      // device is the registry's explicit `restore`.
      const rows = await db.insert(devices).values(values).onConflictDoUpdate({
        target: devices.id,
        set: { model: values.model, adapter: values.adapter, allowedAdapters: values.allowedAdapters },
        setWhere: sql`${devices.revokedAt} is null and ${devices.userId} is not distinct from ${values.userId} and (${devices.kind} = 'gateway') = (${values.kind} = 'gateway')`,
      }).returning({ id: devices.id });
      return rows.length > 0;
    },
    async getDevice(id) {
      const [row] = await db
        .select({ id: devices.id, userId: devices.userId, kind: devices.kind, model: devices.model, adapter: devices.adapter, allowedAdapters: devices.allowedAdapters, revokedAt: devices.revokedAt, lastSeenAt: devices.lastSeenAt })
        .from(devices)
        .where(eq(devices.id, id));
      return row;
    },
    async recordToken(t) {
      await db.insert(tokens).values({ jti: t.jti, subject: t.subject, kind: t.kind, expiresAt: t.expiresAt ?? null }).onConflictDoNothing();
    },
    async revokeToken(jti) {
      // A token this hub signed but never recorded (an older CLI, a key shared with a script)
      // gets a row of its own, so the revocation survives a restart like any other.
      const rows = await db.insert(tokens).values({ jti, subject: '(unrecorded)', kind: '(unrecorded)', revokedAt: new Date() })
        .onConflictDoUpdate({ target: tokens.jti, set: { revokedAt: new Date() }, setWhere: isNull(tokens.revokedAt) })
        .returning({ jti: tokens.jti });
      return rows.length > 0;
    },
    async revokedTokenIds() {
      const rows = await db.select({ jti: tokens.jti }).from(tokens).where(sql`${tokens.revokedAt} is not null`);
      return rows.map((r) => r.jti);
    },
    async grantConsent(athleteId, viewerId) {
      await db
        .insert(consents)
        .values({ athleteId, viewerId })
        .onConflictDoUpdate({ target: [consents.athleteId, consents.viewerId], set: { grantedAt: new Date(), revokedAt: null } });
    },
    async revokeConsent(athleteId, viewerId) {
      const rows = await db
        .update(consents)
        .set({ revokedAt: new Date() })
        .where(and(eq(consents.athleteId, athleteId), eq(consents.viewerId, viewerId), isNull(consents.revokedAt)))
        .returning({ a: consents.athleteId });
      return rows.length > 0;
    },
    async consentedAthletes(viewerId) {
      const rows = await db.select({ a: consents.athleteId }).from(consents).where(and(eq(consents.viewerId, viewerId), isNull(consents.revokedAt))).orderBy(consents.athleteId);
      return rows.map((r) => r.a);
    },
    close,
  };
}

export async function openStore(target: StoreTarget): Promise<Store> {
  const opened = await openDb(target);
  return createStore(opened.db, opened.kind, opened.close, opened.storage, opened.client);
}

