import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { queryRows, type Db } from './db.js';
import type { AlertRow } from './alerts.js';
import { createHistoryRepo, type SyncCursor } from './history.js';
import { toEvent } from './rows.js';
import { alerts, bridgeCursors, observations, sharingConsents } from './schema.js';

export type BridgeCursorRow = typeof bridgeCursors.$inferSelect;

/** What one bridge step may read and write, all in the step's transaction. */
export interface BridgeStep {
  /** People with a live `bridge` consent. */
  consented(): Promise<string[]>;
  /** Every cursor row: consenting people, and those whose configs are still to be cleared. */
  cursors(): Promise<BridgeCursorRow[]>;
  /** Readings stored after `cursor` (delta sync: txid-bounded, see HistoryRepo.changes). */
  changes(userId: string, cursor: SyncCursor, limit: number): Promise<{ events: CanonicalEvent[]; cursors: SyncCursor[] }>;
  /** Where the person's readings end now, and their newest reading per metric (the start for a new consent). */
  head(userId: string): Promise<{ cursor: SyncCursor; alert: SyncCursor; latest: CanonicalEvent[] }>;
  /** Alerts inserted or changed after `cursor` ((txid, id) order, txid-bounded like readings). */
  alertChanges(userId: string, cursor: SyncCursor, limit: number): Promise<AlertRow[]>;
  save(row: Omit<BridgeCursorRow, 'updatedAt'>): Promise<void>;
  remove(userId: string): Promise<void>;
}

export interface BridgeRepo {
  /**
   * Runs `fn` in one transaction that holds the bridge's cluster-wide lock (a transaction-scoped
   * Postgres advisory lock): only one node runs a bridge step at a time. Undefined when another
   * node holds it.
   */
  exclusive<T>(fn: (step: BridgeStep) => Promise<T>): Promise<{ value: T } | undefined>;
  /** The cursor rows (tests, the admin view). */
  list(): Promise<BridgeCursorRow[]>;
}

/** The bridge's advisory lock key ("PHBR"). */
export const BRIDGE_LOCK_KEY = 0x50484252;

/** Rows whose transaction is older than every one still running: a later commit never lands behind a cursor. */
const settled = (txid: typeof alerts.txid | typeof observations.txid) => sql`${txid} < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint`;

export function createBridgeRepo(db: Db): BridgeRepo {
  return {
    async exclusive(fn) {
      return db.transaction(async (tx) => {
        const [lock] = await queryRows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${BRIDGE_LOCK_KEY}) as ok`);
        if (!lock?.ok) return undefined;
        const history = createHistoryRepo(tx);
        const step: BridgeStep = {
          async consented() {
            const rows = await tx.select({ u: sharingConsents.userId }).from(sharingConsents)
              .where(and(eq(sharingConsents.purpose, 'bridge'), isNull(sharingConsents.revokedAt))).orderBy(sharingConsents.userId);
            return rows.map((r) => r.u);
          },
          cursors: () => tx.select().from(bridgeCursors).orderBy(bridgeCursors.userId),
          changes: (userId, cursor, limit) => history.changes({ userId, cursor, limit }),
          async head(userId) {
            const [r] = await tx.select({ txid: observations.txid, id: observations.id }).from(observations)
              .where(and(eq(observations.userId, userId), settled(observations.txid))).orderBy(desc(observations.txid), desc(observations.id)).limit(1);
            const [a] = await tx.select({ txid: alerts.txid, id: alerts.id }).from(alerts)
              .where(and(eq(alerts.userId, userId), settled(alerts.txid))).orderBy(desc(alerts.txid), desc(alerts.id)).limit(1);
            return {
              cursor: r ? { txid: r.txid, id: r.id } : { txid: 0, id: '' },
              alert: a ? { txid: a.txid, id: String(a.id) } : { txid: 0, id: '0' },
              // The newest reading per metric among those the cursor already covers (same bound).
              latest: (await tx.selectDistinctOn([observations.metric]).from(observations)
                .where(and(eq(observations.userId, userId), settled(observations.txid)))
                .orderBy(observations.metric, desc(observations.timeEnd), desc(observations.receivedAt))).map(toEvent),
            };
          },
          alertChanges: (userId, cursor, limit) => tx.select().from(alerts)
            .where(and(eq(alerts.userId, userId), settled(alerts.txid), sql`(${alerts.txid}, ${alerts.id}) > (${cursor.txid}::bigint, ${Number(cursor.id)}::bigint)`))
            .orderBy(asc(alerts.txid), asc(alerts.id)).limit(limit),
          async save(row) {
            const { userId: _key, ...rest } = row;
            await tx.insert(bridgeCursors).values({ ...row, updatedAt: new Date() })
              .onConflictDoUpdate({ target: bridgeCursors.userId, set: { ...rest, updatedAt: new Date() } });
          },
          async remove(userId) {
            await tx.delete(bridgeCursors).where(eq(bridgeCursors.userId, userId));
          },
        };
        return { value: await fn(step) };
      });
    },
    list: () => db.select().from(bridgeCursors).orderBy(bridgeCursors.userId),
  };
}
