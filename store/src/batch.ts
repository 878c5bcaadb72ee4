import { sql, type SQL } from 'drizzle-orm';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { queryRows, type Db } from './db.js';
import { deadLetterRow, type DeadLetterInput } from './dead-letters.js';
import { deadLetters, users } from './schema.js';

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
    values: e.values, series: e.series ?? null, adapter: e.source.adapter, received_at: e.source.receivedAt,
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

const ROLLUPS_FROM_AGG = sql.raw(rollupUpsert('agg'));

/**
 * Stores events (ignoring ids already stored) and updates the daily rollups from exactly the
 * rows that were new, in one statement: a redelivered reading can neither be stored twice nor
 * counted twice. The whole batch travels as one JSON parameter (`json_to_recordset`): one round
 * trip, no per-row parameters to build, and the same SQL on PGlite and Postgres.
 *
 * A reading belongs to the UTC day of its start. Steps add up; heart rate keeps n/sum/min/max
 * and bumps `hr_version` so the refresher recomputes resting HR and time in zones.
 */
function insertObservationsSql(events: readonly CanonicalEvent[]): SQL {
  const json = JSON.stringify(events.map(toRecord));
  return sql`
    with r as (
      select * from json_to_recordset(${json}::json) as r(
        id text, user_id text, device_id text, metric text, time_start timestamptz, time_end timestamptz,
        "values" jsonb, series jsonb, adapter text, received_at timestamptz)
    ), ins as (
      insert into observations (id, user_id, device_id, metric, time_start, time_end, "values", series, adapter, received_at)
      select id, user_id, device_id, metric, time_start, time_end, "values", series, adapter, received_at from r
      on conflict do nothing
      returning user_id, metric, time_start, "values"
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
      ${ROLLUPS_FROM_AGG}
      returning 1
    ), changed as (
      -- A reading whose id this user already stored with another time or value (the join sees
      -- the table as it was before this statement): kept as first stored, and reported.
      select r.id from r join observations o on o.user_id = r.user_id and o.id = r.id
      where (o.device_id, o.metric, o.time_start, o.time_end, o."values") is distinct from (r.device_id, r.metric, r.time_start, r.time_end, r."values")
    )
    select (select count(*) from ins)::int as inserted, (select count(*) from changed)::int as conflicts,
      (select coalesce(json_agg(id), '[]'::json) from (select id from changed limit 10) c)::text as conflict_ids`;
}

export interface CommitResult {
  /** Readings that were new. */
  inserted: number;
  /** Readings whose id the user had already stored with another time or value (the stored one is kept). */
  conflicts?: number;
  /** Up to 10 of their ids. */
  conflictIds?: string[];
}

/** One transaction: users, observations with their rollups, dead letters. Returns how many events were new. */
export async function commitBatch(db: Db, batch: IngestBatch): Promise<CommitResult> {
  const dl = batch.deadLetters ?? [];
  const newUsers = batch.users ?? [];
  if (batch.events.length === 0 && dl.length === 0 && newUsers.length === 0) return { inserted: 0 };
  const run = async (tx: Db) => {
    if (newUsers.length > 0) await tx.insert(users).values(newUsers.map((id) => ({ id, name: id }))).onConflictDoNothing({ target: users.id });
    const result: CommitResult = { inserted: 0 };
    if (batch.events.length > 0) {
      const [row] = await queryRows<{ inserted: number | string; conflicts: number | string; conflict_ids: string }>(tx, insertObservationsSql(batch.events));
      result.inserted = Number(row?.inserted ?? 0);
      const conflicts = Number(row?.conflicts ?? 0);
      if (conflicts > 0) {
        result.conflicts = conflicts;
        result.conflictIds = JSON.parse(row?.conflict_ids ?? '[]') as string[];
      }
    }
    if (dl.length > 0) await tx.insert(deadLetters).values(dl.map(deadLetterRow));
    return result;
  };
  // A lone statement is atomic by itself: skip BEGIN/COMMIT round trips on the hot path.
  if (newUsers.length === 0 && dl.length === 0) return run(db);
  return db.transaction((tx) => run(tx as unknown as Db));
}
