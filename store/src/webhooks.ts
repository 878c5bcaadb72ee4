import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { queryRows, type Db } from './db.js';
import { toEvent } from './rows.js';
import { observations, webhookDeliveries, webhookOutbox, webhookSubscriptions } from './schema.js';

export interface WebhookSubscription {
  id: string;
  userId: string;
  url: string;
  events: string[];
  metrics: string[] | null;
  active: boolean;
  windowMs: number;
  maxBatch: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface WebhookSubscriptionInput {
  userId: string;
  url: string;
  events: readonly string[];
  metrics?: readonly string[] | null;
  secret: string;
  active?: boolean;
  windowMs?: number;
  maxBatch?: number;
  createdBy: string;
}

export type WebhookSubscriptionPatch = Partial<Pick<WebhookSubscriptionInput, 'url' | 'events' | 'metrics' | 'secret' | 'active' | 'windowMs' | 'maxBatch'>>;

/** A delivery as the admin page lists it (no body). */
export interface WebhookDeliveryRow {
  id: string;
  subscriptionId: string;
  userId: string;
  status: 'pending' | 'delivered' | 'failed';
  entries: number;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  lastStatus: number | null;
  lastLatencyMs: number | null;
  lastAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

/** A delivery a sender has claimed: what to send and where. */
export interface ClaimedDelivery {
  id: string;
  subscriptionId: string;
  url: string;
  secret: string;
  body: string;
  attempts: number;
}

/** One event in a delivery's body. */
export interface WebhookEvent {
  /** Stable per outbox entry: `<subscription>:<entry>`. */
  id: string;
  type: string;
  userId: string;
  at: string;
  readings?: CanonicalEvent[];
  data?: unknown;
}

export interface WebhookRepo {
  create(s: WebhookSubscriptionInput): Promise<WebhookSubscription>;
  get(id: string): Promise<WebhookSubscription | undefined>;
  /** The secret, for signing (never listed). */
  secretOf(id: string): Promise<string | undefined>;
  list(filter?: { userId?: string }): Promise<WebhookSubscription[]>;
  update(id: string, patch: WebhookSubscriptionPatch): Promise<WebhookSubscription | undefined>;
  /** Deletes the subscription with what it is still owed (outbox entries, deliveries). */
  remove(id: string): Promise<boolean>;
  /** An outbox entry for an event other than `reading.stored` (pass the transaction of its cause). */
  enqueue(tx: Db, e: { userId: string; eventType: string; payload: unknown }): Promise<number>;
  /**
   * Puts open outbox entries into deliveries: per subscription, once its oldest open entry is
   * `windowMs` old or it has `maxBatch` open entries, one delivery of up to `maxBatch` entries.
   * A subscription being grouped by another node is skipped (FOR UPDATE SKIP LOCKED).
   */
  formDeliveries(o?: { limit?: number }): Promise<number>;
  /** Claims due deliveries for `leaseMs` (another sender may take them after a crash). */
  claimDue(o: { limit: number; leaseMs: number }): Promise<ClaimedDelivery[]>;
  delivered(id: string, r: { status: number; latencyMs: number }): Promise<void>;
  /** A failed attempt: retried at `retryAt`, or `failed` for good when it is null. */
  attemptFailed(id: string, r: { error: string; status: number | null; latencyMs: number | null; retryAt: Date | null }): Promise<void>;
  deliveries(filter?: { subscriptionId?: string; userId?: string; status?: string; limit?: number }): Promise<WebhookDeliveryRow[]>;
  /** Puts failed deliveries back to pending (attempts reset); returns their ids. */
  replay(filter: { id?: string; subscriptionId?: string; limit: number }): Promise<string[]>;
  /** Open outbox entries and pending deliveries (for /metrics and tests). */
  backlog(): Promise<{ openEntries: number; pending: number; failed: number }>;
}

const PUBLIC_COLUMNS = {
  id: webhookSubscriptions.id, userId: webhookSubscriptions.userId, url: webhookSubscriptions.url, events: webhookSubscriptions.events,
  metrics: webhookSubscriptions.metrics, active: webhookSubscriptions.active, windowMs: webhookSubscriptions.windowMs,
  maxBatch: webhookSubscriptions.maxBatch, createdBy: webhookSubscriptions.createdBy, createdAt: webhookSubscriptions.createdAt, updatedAt: webhookSubscriptions.updatedAt,
};

const DELIVERY_COLUMNS = {
  id: webhookDeliveries.id, subscriptionId: webhookDeliveries.subscriptionId, userId: webhookDeliveries.userId, status: webhookDeliveries.status,
  entries: webhookDeliveries.entries, attempts: webhookDeliveries.attempts, nextAttemptAt: webhookDeliveries.nextAttemptAt,
  lastError: webhookDeliveries.lastError, lastStatus: webhookDeliveries.lastStatus, lastLatencyMs: webhookDeliveries.lastLatencyMs,
  lastAttemptAt: webhookDeliveries.lastAttemptAt, createdAt: webhookDeliveries.createdAt, deliveredAt: webhookDeliveries.deliveredAt,
};

/**
 * Outbox entries for events other than `reading.stored`, one per active subscription of the
 * entry's user that wants its type, in one statement. Pass the transaction of the cause (the
 * alert, the goal mark, the class end), so the entries commit or roll back with it.
 */
export async function enqueueHooks(tx: Db, entries: readonly { userId: string; eventType: string; payload: unknown }[]): Promise<number> {
  if (entries.length === 0) return 0;
  const json = JSON.stringify(entries.map((e, i) => ({ n: i, user_id: e.userId, event_type: e.eventType, payload: e.payload ?? null })));
  const rows = await queryRows<{ n: number | string }>(tx, sql`
    with e as (select * from json_to_recordset(${json}::json) as e(n int, user_id text, event_type text, payload jsonb)),
    ins as (
      insert into webhook_outbox (subscription_id, user_id, event_type, payload)
      select s.id, s.user_id, e.event_type, e.payload from e join webhook_subscriptions s
        on s.active and s.user_id = e.user_id and e.event_type = any(s.events)
      order by e.n, s.id
      returning 1)
    select count(*)::int as n from ins`);
  return Number(rows[0]?.n ?? 0);
}

export function createWebhookRepo(db: Db): WebhookRepo {
  const get = async (id: string) => {
    const [row] = await db.select(PUBLIC_COLUMNS).from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
    return row;
  };

  /** Groups one subscription's open entries into a delivery (inside the caller's transaction). */
  async function group(tx: Db, sub: { id: string; user_id: string; window_ms: number; max_batch: number }): Promise<boolean> {
    const entries = await queryRows<{ id: number | string; age_ms: number | string }>(tx, sql`
      select id, (extract(epoch from (now() - created_at)) * 1000)::float8 as age_ms
      from webhook_outbox where subscription_id = ${sub.id} and delivery_id is null order by id limit ${sub.max_batch}`);
    if (entries.length === 0) return false;
    const oldest = Math.max(...entries.map((e) => Number(e.age_ms)));
    if (entries.length < sub.max_batch && oldest < sub.window_ms) return false;
    const deliveryId = randomUUID();
    await tx.insert(webhookDeliveries).values({ id: deliveryId, subscriptionId: sub.id, userId: sub.user_id, entries: entries.length });
    await tx.update(webhookOutbox).set({ deliveryId }).where(inArray(webhookOutbox.id, entries.map((e) => Number(e.id))));
    return true;
  }

  /** A delivery's body, rebuilt the same way on every attempt: its entries in order, each with the readings it names. */
  async function bodyOf(d: { id: string; subscriptionId: string; userId: string; metrics: string[] | null }): Promise<string> {
    const entries = await queryRows<{ id: number | string; event_type: string; txid: number | string | null; payload: unknown; created_at: string | Date }>(db, sql`
      select id, event_type, txid, payload, created_at from webhook_outbox where delivery_id = ${d.id} order by id`);
    const txids = [...new Set(entries.filter((e) => e.txid !== null).map((e) => Number(e.txid)))];
    const byTxid = new Map<number, CanonicalEvent[]>();
    if (txids.length > 0) {
      const conds = [eq(observations.userId, d.userId), inArray(observations.txid, txids)];
      if (d.metrics) conds.push(inArray(observations.metric, d.metrics));
      const rows = await db.select().from(observations).where(and(...conds)).orderBy(asc(observations.txid), asc(observations.id));
      for (const r of rows) {
        const list = byTxid.get(Number(r.txid)) ?? [];
        list.push(toEvent(r));
        byTxid.set(Number(r.txid), list);
      }
    }
    const events: WebhookEvent[] = entries.map((e) => ({
      id: `${d.subscriptionId}:${e.id}`,
      type: e.event_type,
      userId: d.userId,
      at: new Date(e.created_at).toISOString(),
      ...(e.txid !== null ? { readings: byTxid.get(Number(e.txid)) ?? [] } : { data: e.payload }),
    }));
    return JSON.stringify({ delivery: d.id, subscription: d.subscriptionId, events });
  }

  return {
    async create(s) {
      const id = randomUUID();
      await db.insert(webhookSubscriptions).values({
        id, userId: s.userId, url: s.url, events: [...s.events], metrics: s.metrics ? [...s.metrics] : null, secret: s.secret,
        active: s.active ?? true, windowMs: s.windowMs ?? 5000, maxBatch: s.maxBatch ?? 100, createdBy: s.createdBy,
      });
      return (await get(id))!;
    },
    get,
    async secretOf(id) {
      const [row] = await db.select({ secret: webhookSubscriptions.secret }).from(webhookSubscriptions).where(eq(webhookSubscriptions.id, id));
      return row?.secret;
    },
    async list(filter = {}) {
      return db.select(PUBLIC_COLUMNS).from(webhookSubscriptions)
        .where(filter.userId ? eq(webhookSubscriptions.userId, filter.userId) : undefined)
        .orderBy(asc(webhookSubscriptions.userId), asc(webhookSubscriptions.createdAt));
    },
    async update(id, p) {
      const set: Partial<typeof webhookSubscriptions.$inferInsert> = { updatedAt: new Date() };
      if (p.url !== undefined) set.url = p.url;
      if (p.events !== undefined) set.events = [...p.events];
      if (p.metrics !== undefined) set.metrics = p.metrics ? [...p.metrics] : null;
      if (p.secret !== undefined) set.secret = p.secret;
      if (p.active !== undefined) set.active = p.active;
      if (p.windowMs !== undefined) set.windowMs = p.windowMs;
      if (p.maxBatch !== undefined) set.maxBatch = p.maxBatch;
      const rows = await db.update(webhookSubscriptions).set(set).where(eq(webhookSubscriptions.id, id)).returning({ id: webhookSubscriptions.id });
      return rows.length > 0 ? get(id) : undefined;
    },
    async remove(id) {
      return db.transaction(async (tx) => {
        await tx.delete(webhookOutbox).where(eq(webhookOutbox.subscriptionId, id));
        await tx.delete(webhookDeliveries).where(eq(webhookDeliveries.subscriptionId, id));
        const rows = await tx.delete(webhookSubscriptions).where(eq(webhookSubscriptions.id, id)).returning({ id: webhookSubscriptions.id });
        return rows.length > 0;
      });
    },
    async enqueue(tx, e) {
      return enqueueHooks(tx, [e]);
    },
    async formDeliveries(o = {}) {
      return db.transaction(async (txAny) => {
        const tx = txAny as unknown as Db;
        const subs = await queryRows<{ id: string; user_id: string; window_ms: number; max_batch: number }>(tx, sql`
          select s.id, s.user_id, s.window_ms, s.max_batch from webhook_subscriptions s
          where exists (select 1 from webhook_outbox o where o.subscription_id = s.id and o.delivery_id is null)
          order by s.id limit ${o.limit ?? 100}
          for update of s skip locked`);
        let formed = 0;
        // A subscription with a backlog forms several full deliveries in one round.
        for (const s of subs) for (let i = 0; i < 20 && (await group(tx, s)); i++) formed++;
        return formed;
      });
    },
    async claimDue(o) {
      const rows = await queryRows<{ id: string; subscription_id: string; user_id: string; metrics: string[] | null; url: string; secret: string; attempts: number }>(db, sql`
        with due as (
          select d.id from webhook_deliveries d join webhook_subscriptions s on s.id = d.subscription_id and s.active
          where d.status = 'pending' and d.next_attempt_at <= now()
          order by d.next_attempt_at limit ${o.limit}
          for update of d skip locked
        )
        update webhook_deliveries d set attempts = d.attempts + 1, last_attempt_at = now(),
          next_attempt_at = now() + make_interval(secs => ${o.leaseMs / 1000}::float8)
        from due, webhook_subscriptions s
        where d.id = due.id and s.id = d.subscription_id
        returning d.id, d.subscription_id, d.user_id, s.metrics, s.url, s.secret, d.attempts`);
      const out: ClaimedDelivery[] = [];
      for (const r of rows) {
        const body = await bodyOf({ id: r.id, subscriptionId: r.subscription_id, userId: r.user_id, metrics: r.metrics });
        out.push({ id: r.id, subscriptionId: r.subscription_id, url: r.url, secret: r.secret, body, attempts: Number(r.attempts) });
      }
      return out;
    },
    async delivered(id, r) {
      await db.update(webhookDeliveries).set({ status: 'delivered', deliveredAt: new Date(), lastStatus: r.status, lastLatencyMs: Math.round(r.latencyMs), lastError: null })
        .where(eq(webhookDeliveries.id, id));
    },
    async attemptFailed(id, r) {
      await db.update(webhookDeliveries).set({
        lastError: r.error.slice(0, 1000), lastStatus: r.status, lastLatencyMs: r.latencyMs === null ? null : Math.round(r.latencyMs),
        ...(r.retryAt ? { nextAttemptAt: r.retryAt } : { status: 'failed' }),
      }).where(eq(webhookDeliveries.id, id));
    },
    async deliveries(filter = {}) {
      const conds = [];
      if (filter.subscriptionId) conds.push(eq(webhookDeliveries.subscriptionId, filter.subscriptionId));
      if (filter.userId) conds.push(eq(webhookDeliveries.userId, filter.userId));
      if (filter.status) conds.push(eq(webhookDeliveries.status, filter.status));
      const rows = await db.select(DELIVERY_COLUMNS).from(webhookDeliveries).where(conds.length ? and(...conds) : undefined)
        .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id)).limit(filter.limit ?? 50);
      return rows as WebhookDeliveryRow[];
    },
    async replay(filter) {
      const rows = await queryRows<{ id: string }>(db, sql`
        update webhook_deliveries set status = 'pending', attempts = 0, next_attempt_at = now()
        where id in (
          select id from webhook_deliveries where status = 'failed'
            ${filter.id ? sql`and id = ${filter.id}` : sql``}
            ${filter.subscriptionId ? sql`and subscription_id = ${filter.subscriptionId}` : sql``}
          order by created_at limit ${filter.limit})
        returning id`);
      return rows.map((r) => r.id);
    },
    async backlog() {
      const [row] = await queryRows<{ open: number | string; pending: number | string; failed: number | string }>(db, sql`
        select (select count(*) from webhook_outbox where delivery_id is null)::int as open,
          (select count(*) from webhook_deliveries where status = 'pending')::int as pending,
          (select count(*) from webhook_deliveries where status = 'failed')::int as failed`);
      return { openEntries: Number(row?.open ?? 0), pending: Number(row?.pending ?? 0), failed: Number(row?.failed ?? 0) };
    },
  };
}
