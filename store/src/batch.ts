import { sql, type SQL } from 'drizzle-orm';
import type { Sql } from 'postgres';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { queryRows, type Db } from './db.js';
import { insertDeadLetters, type DeadLetterInput } from './dead-letters.js';
import { users } from './schema.js';

export interface IngestBatch {
  events: readonly CanonicalEvent[];
  deadLetters?: readonly DeadLetterInput[];
  /** Users to create (named by their id) when they do not exist yet. */
  users?: readonly string[];
}

function toRecord(e: CanonicalEvent) {
  const [start, end] = 'at' in e.time ? [e.time.at, e.time.at] : [e.time.start, e.time.end];
  return {
    id: e.id, user_id: e.userId, device_id: e.deviceId, metric: e.metric, time_start: start, time_end: end,
    values: e.values, series: e.series ?? null, notes: e.notes ?? null, adapter: e.source.adapter, received_at: e.source.receivedAt,
  };
}

/**
 * Adds per-day deltas (columns user_id, day, steps, hr_n, hr_sum, hr_min, hr_max of `source`)
 * to the daily rollups; shared by the one-statement path and the COPY path.
 */
export function rollupUpsert(source: string): string {
  return `insert into daily_rollups as d (user_id, day, steps, hr_count, hr_sum, hr_min, hr_max, hr_version)
      select user_id, day, steps, hr_n, hr_sum, hr_min, hr_max, case when hr_n > 0 then 1 else 0 end from ${source}
      -- Rows locked in one order, so two batches committing at once queue instead of deadlocking.
      order by user_id, day
      on conflict (user_id, day) do update set
        steps = d.steps + excluded.steps,
        hr_count = d.hr_count + excluded.hr_count,
        hr_sum = d.hr_sum + excluded.hr_sum,
        hr_min = least(d.hr_min, excluded.hr_min),
        hr_max = greatest(d.hr_max, excluded.hr_max),
        hr_version = d.hr_version + excluded.hr_version,
        updated_at = now()`;
}

/**
 * The webhook outbox entries of a batch (issue 14): one row per active subscription that wants
 * `reading.stored` of a user and metric in `source` (a relation aliased `x` with columns
 * user_id, metric: the rows just stored). Run inside the batch's transaction, so a crash between commit and send loses
 * nothing. The entry names the transaction (`txid`, as observations.txid), not the readings:
 * the sender reads them back, so the cost here is one row per subscription, not per reading.
 */
export function outboxInsert(source: string): string {
  return `insert into webhook_outbox (subscription_id, user_id, event_type, txid)
      select s.id, s.user_id, 'reading.stored', (pg_current_xact_id()::text)::bigint
      from webhook_subscriptions s
      where s.active and 'reading.stored' = any(s.events)
        and exists (select 1 from ${source} where x.user_id = s.user_id and (s.metrics is null or x.metric = any(s.metrics)))`;
}

/**
 * Stores events (ignoring ids already stored) and updates the daily rollups from exactly the
 * rows that were new, in one statement: a redelivered reading can neither be stored twice nor
 * counted twice. The whole batch travels as one JSON parameter (`json_to_recordset`, `param`):
 * one round trip, no per-row parameters to build, and the same SQL on PGlite and Postgres.
 *
 * A reading belongs to the UTC day of its start. Steps add up; heart rate keeps n/sum/min/max
 * and bumps `hr_version` so the refresher recomputes resting HR and time in zones.
 *
 * Nothing in it reads `observations` but the conflict check of its unique index, so its plan
 * does not depend on the table's size: it is prepared once per connection and its generic plan
 * is as good on a million rows as on none. (Comparing the readings that were not new with the
 * stored ones is `changedSql`, run only when some were not.)
 */
function insertObservationsText(param: string): string {
  return `
    with r as (
      select * from json_to_recordset(${param}::json) as r(
        id text, user_id text, device_id text, metric text, time_start timestamptz, time_end timestamptz,
        "values" jsonb, series jsonb, notes jsonb, adapter text, received_at timestamptz)
    ), ins as (
      insert into observations (id, user_id, device_id, metric, time_start, time_end, "values", series, notes, adapter, received_at)
      select id, user_id, device_id, metric, time_start, time_end, "values", series, notes, adapter, received_at from r
      on conflict do nothing
      returning id, user_id, metric, time_start, "values"
    ), ob as (
      ${outboxInsert('ins x')}
      returning 1
    ), v as (
      select user_id, (time_start at time zone 'UTC')::date as day, metric,
        case metric when 'steps' then ("values"->'count'->>'value')::float8 when 'heart_rate' then ("values"->'bpm'->>'value')::float8 end as x
      from ins where metric in ('steps', 'heart_rate')
    ), agg as (
      select user_id, day,
        coalesce(sum(x) filter (where metric = 'steps'), 0) as steps,
        count(*) filter (where metric = 'heart_rate') as hr_n,
        coalesce(sum(x) filter (where metric = 'heart_rate'), 0) as hr_sum,
        min(x) filter (where metric = 'heart_rate') as hr_min,
        max(x) filter (where metric = 'heart_rate') as hr_max
      from v group by user_id, day
    ), up as (
      ${rollupUpsert('agg')}
      returning 1
    )
    select (select count(*) from ins)::int as inserted,
      -- Which readings were new, only when some were not (then the after-commit rules skip the rest).
      case when (select count(*) from ins) between 1 and (select count(*) from r) - 1
        then (select json_agg(json_build_array(user_id, id)) from ins)::text end as new_keys`;
}

/** The statement's text around its one parameter, for drizzle (PGlite, transactions). */
const [INSERT_HEAD, INSERT_TAIL] = insertObservationsText('\u0000').split('\u0000') as [string, string];
/**
 * The same text with `$1`, run as a named prepared statement on Postgres: parsed once per
 * connection and planned generically after a few runs. Unnamed (drizzle's `execute`), it was
 * parsed and planned on every batch: 0.4 ms of planning per batch, ~40 % of the Postgres CPU of
 * `pnpm bench:diy` (1,000 readings/s in ~300 batches/s).
 */
const INSERT_PREPARED = insertObservationsText('$1');

function batchJson(events: readonly CanonicalEvent[]): string {
  return JSON.stringify(events.map(toRecord));
}

type InsertRow = { inserted: number | string; new_keys: string | null };

/**
 * Of readings that were not new, those whose id this user had already stored with another time
 * or value (kept as first stored, and reported). Planned for the table as it is: it runs only
 * for a batch that held redelivered or reused ids.
 */
function changedSql(events: readonly CanonicalEvent[]): SQL {
  return sql`
    select r.id from json_to_recordset(${batchJson(events)}::json) as r(
      id text, user_id text, device_id text, metric text, time_start timestamptz, time_end timestamptz, "values" jsonb)
    join observations o on o.user_id = r.user_id and o.id = r.id
    where (o.device_id, o.metric, o.time_start, o.time_end, o."values") is distinct from (r.device_id, r.metric, r.time_start, r.time_end, r."values")`;
}

export interface CommitResult {
  /** Readings that were new. */
  inserted: number;
  /** Readings whose id the user had already stored with another time or value (the stored one is kept). */
  conflicts?: number;
  /** Up to 10 of their ids. */
  conflictIds?: string[];
  /**
   * When only some readings were new: `userId\u0000id` of each new one. Absent when all were
   * new (`inserted` = the batch's size) or none was (`inserted` = 0).
   */
  newKeys?: Set<string>;
}

/** The key of a reading in `CommitResult.newKeys`. */
export const readingKey = (userId: string, id: string): string => `${userId}\u0000${id}`;

/**
 * One transaction: users, observations with their rollups, dead letters. Returns how many events
 * were new. `client`, the postgres.js client behind `db` (none on PGlite), runs the lone
 * statement of a batch with only readings as a prepared statement.
 */
export async function commitBatch(db: Db, batch: IngestBatch, client?: Sql): Promise<CommitResult> {
  const dl = batch.deadLetters ?? [];
  const newUsers = batch.users ?? [];
  if (batch.events.length === 0 && dl.length === 0 && newUsers.length === 0) return { inserted: 0 };
  const insert = async (tx: Db): Promise<CommitResult> => {
    const json = batchJson(batch.events);
    const [row] = client && tx === db
      ? await client.unsafe<InsertRow[]>(INSERT_PREPARED, [json], { prepare: true })
      : await queryRows<InsertRow>(tx, sql`${sql.raw(INSERT_HEAD)}${json}${sql.raw(INSERT_TAIL)}`);
    const result: CommitResult = { inserted: Number(row?.inserted ?? 0) };
    if (row?.new_keys) result.newKeys = new Set((JSON.parse(row.new_keys) as [string, string][]).map(([u, id]) => readingKey(u, id)));
    if (result.inserted < batch.events.length) {
      const notNew = result.newKeys ? batch.events.filter((e) => !result.newKeys!.has(readingKey(e.userId, e.id))) : batch.events;
      // In a transaction a failure here rolls the batch back like any other. After a lone
      // statement it has committed: the batch must not be sent again for a failed report (its
      // readings would then count as duplicates and skip the rules), so the report is skipped.
      const changed = notNew.length === 0 ? [] : await queryRows<{ id: string }>(tx, changedSql(notNew)).catch((err: unknown) => {
        if (tx !== db) throw err;
        return [];
      });
      if (changed.length > 0) {
        result.conflicts = changed.length;
        result.conflictIds = changed.slice(0, 10).map((c) => c.id);
      }
    }
    return result;
  };
  const run = async (tx: Db) => {
    if (newUsers.length > 0) await tx.insert(users).values(newUsers.map((id) => ({ id, name: id }))).onConflictDoNothing({ target: users.id });
    const result: CommitResult = batch.events.length > 0 ? await insert(tx) : { inserted: 0 };
    if (dl.length > 0) await insertDeadLetters(tx, dl, client && tx === db ? client : undefined);
    return result;
  };
  // A lone statement is atomic by itself: skip BEGIN/COMMIT round trips on the hot path (a batch
  // of readings only, or of dead letters only).
  if (newUsers.length === 0 && (dl.length === 0 || batch.events.length === 0)) return run(db);
  return db.transaction((tx) => run(tx as unknown as Db));
}
