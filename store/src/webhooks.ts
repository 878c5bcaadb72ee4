import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { queryRows, type Db } from './db.js';
import { webhookDeliveries, webhookOutbox, webhookSubscriptions } from './schema.js';

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
  /** How many events of each type the body holds. */
  eventTypes: Record<string, number>;
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

export interface WebhookBacklog {
  openEntries: number;
  openByEvent: Record<string, number>;
  pending: number;
  failed: number;
  oldestPendingSeconds: number;
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
  /**
   * What is owed (for /metrics and tests): outbox entries not yet in a delivery (in all and by
   * event type), pending and failed deliveries, and the age of the oldest entry or pending
   * delivery not yet delivered (0 when nothing is owed).
   */
  backlog(): Promise<WebhookBacklog>;
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

/** An instant as `Date.prototype.toISOString` writes it. */
const iso = (col: string) => `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * A stored reading as the JSON of a CanonicalEvent (rows.ts `toEvent`, the same keys in the
 * same order), built by Postgres: the sender receives one text per outbox entry instead of
 * rows it would parse (dates, jsonb) only to serialise them again.
 */
const READING_JSON = `'{"id":' || to_json(r.id)::text || ',"userId":' || to_json(r.user_id)::text
  || ',"deviceId":' || to_json(r.device_id)::text || ',"metric":' || to_json(r.metric)::text
  || case when r.time_start = r.time_end then ',"time":{"at":"' || ${iso('r.time_start')} || '"}'
    else ',"time":{"start":"' || ${iso('r.time_start')} || '","end":"' || ${iso('r.time_end')} || '"}' end
  || ',"values":' || r."values"::text
  || ',"source":{"adapter":' || to_json(r.adapter)::text || ',"receivedAt":"' || ${iso('r.received_at')} || '"}'
  || coalesce(',"series":' || r.series::text, '') || coalesce(',"notes":' || r.notes::text, '') || '}'`;

/**
 * The events of deliveries, in one query for all of them: per outbox entry (in order) the event
 * JSON, with the readings of a `reading.stored` entry (its transaction's rows of that user,
 * through the subscription's metric filter, by id) aggregated by Postgres into one JSON text.
 * Stored readings do not change, so every attempt sends the same bytes.
 */
async function bodyParts(db: Db, deliveryIds: readonly string[]): Promise<Map<string, { events: string[]; types: Record<string, number> }>> {
  const rows = await queryRows<{ delivery_id: string; event: string; event_type: string }>(db, sql`
    select o.delivery_id, o.event_type,
      '{"id":' || to_json(s.id || ':' || o.id)::text || ',"type":' || to_json(o.event_type)::text || ',"userId":' || to_json(o.user_id)::text
        || ',"at":"' || ${sql.raw(iso('o.created_at'))} || '",'
        || case when o.txid is null then '"data":' || coalesce(o.payload::text, 'null')
          else '"readings":[' || coalesce((
            select string_agg(${sql.raw(READING_JSON)}, ',' order by r.id) from observations r
            where r.user_id = o.user_id and r.txid = o.txid and (s.metrics is null or r.metric = any(s.metrics))), '') || ']' end
        || '}' as event
    from webhook_outbox o join webhook_subscriptions s on s.id = o.subscription_id
    where o.delivery_id in (${sql.join(deliveryIds.map((id) => sql`${id}`), sql`, `)})
    order by o.delivery_id, o.id`);
  const out = new Map<string, { events: string[]; types: Record<string, number> }>();
  for (const r of rows) {
    let p = out.get(r.delivery_id);
    if (!p) out.set(r.delivery_id, (p = { events: [], types: {} }));
    p.events.push(r.event);
    p.types[r.event_type] = (p.types[r.event_type] ?? 0) + 1;
  }
  return out;
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
        // Only subscriptions with a delivery due (the oldest open entry has waited its window,
        // or a full batch is open): a round while entries wait costs one query, not one per
        // subscription.
        const subs = await queryRows<{ id: string; user_id: string; window_ms: number; max_batch: number }>(tx, sql`
          select s.id, s.user_id, s.window_ms, s.max_batch from webhook_subscriptions s
          where exists (select 1 from webhook_outbox o where o.subscription_id = s.id and o.delivery_id is null
              and o.created_at <= now() - make_interval(secs => s.window_ms / 1000.0))
            or (select count(*) from (select 1 from webhook_outbox o where o.subscription_id = s.id and o.delivery_id is null limit s.max_batch) f) >= s.max_batch
          order by s.id limit ${o.limit ?? 100}
          for update of s skip locked`);
        let formed = 0;
        // A subscription with a backlog forms several full deliveries in one round.
        for (const s of subs) for (let i = 0; i < 20 && (await group(tx, s)); i++) formed++;
        return formed;
      });
    },
    async claimDue(o) {
      const rows = await queryRows<{ id: string; subscription_id: string; url: string; secret: string; attempts: number }>(db, sql`
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
        returning d.id, d.subscription_id, s.url, s.secret, d.attempts`);
      if (rows.length === 0) return [];
      const parts = await bodyParts(db, rows.map((r) => r.id));
      return rows.map((r) => {
        const p = parts.get(r.id) ?? { events: [], types: {} };
        const body = `{"delivery":${JSON.stringify(r.id)},"subscription":${JSON.stringify(r.subscription_id)},"events":[${p.events.join(',')}]}`;
        return { id: r.id, subscriptionId: r.subscription_id, url: r.url, secret: r.secret, body, attempts: Number(r.attempts), eventTypes: p.types };
      });
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
      // Open entries by type (the partial index on open entries), pending (the due index), failed.
      const [row] = await queryRows<{ open: unknown; pending: number | string; failed: number | string; oldest_s: number | string | null }>(db, sql`
        select (select coalesce(json_object_agg(event_type, n), '{}'::json)::text from (
            select event_type, count(*)::int as n from webhook_outbox where delivery_id is null group by event_type) t) as open,
          (select count(*) from webhook_deliveries where status = 'pending')::int as pending,
          (select count(*) from webhook_deliveries where status = 'failed')::int as failed,
          extract(epoch from now() - least(
            (select min(created_at) from webhook_outbox where delivery_id is null),
            (select min(created_at) from webhook_deliveries where status = 'pending')))::float8 as oldest_s`);
      const openByEvent = JSON.parse(String(row?.open ?? '{}')) as Record<string, number>;
      return {
        openEntries: Object.values(openByEvent).reduce((a, b) => a + b, 0), openByEvent,
        pending: Number(row?.pending ?? 0), failed: Number(row?.failed ?? 0),
        oldestPendingSeconds: row?.oldest_s === null || row?.oldest_s === undefined ? 0 : Math.max(0, Number(row.oldest_s)),
      };
    },
  };
}
