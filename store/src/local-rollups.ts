import { sql } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';

/** The metrics goals measure: a reading of any other metric never touches `local_daily_rollups`. */
export const GOAL_METRICS: ReadonlySet<string> = new Set(['steps', 'workout', 'sleep', 'mindfulness', 'body_weight', 'blood_pressure', 'food']);

export interface LocalDayTotals {
  day: string;
  timeZone: string;
  steps: number;
  workouts: number;
  workoutMin: number;
  sleepMin: number;
  mindfulnessMin: number;
  weightKg: number | null;
  bpN: number;
  bpSysSum: number;
  bpDiaSum: number;
  foodKcal: number;
}

/** Per user and local day totals goals measure (`local_daily_rollups`). */
export interface LocalRollupRepo {
  /** Recomputes the local days these readings fall on (see `recomputeLocalDays`); returns the (user, day) pairs recomputed. */
  recompute(touched: readonly { userId: string; at: string }[]): Promise<{ userId: string; day: string }[]>;
}

export function createLocalRollupRepo(db: Db): LocalRollupRepo {
  return { recompute: (touched) => recomputeLocalDays(db, touched) };
}

/**
 * Recomputes the local-day totals of every (user, local day) an instant falls on, in the
 * user's time zone (UTC when none is set), from the stored readings: the same answer however
 * often it runs, so redeliveries, edits and deletes keep the totals right. A reading belongs
 * to the local day of its end (a night's sleep counts for the morning it ends).
 * Returns the (user, day) pairs recomputed.
 */
export async function recomputeLocalDays(db: Db, touched: readonly { userId: string; at: string }[]): Promise<{ userId: string; day: string }[]> {
  if (touched.length === 0) return [];
  const json = JSON.stringify(touched.map((t) => ({ user_id: t.userId, t: t.at })));
  const rows = await queryRows<{ user_id: string; day: string }>(db, sql`
    with t as (
      select distinct r.user_id, (r.t at time zone coalesce(u.time_zone, 'UTC'))::date as day, coalesce(u.time_zone, 'UTC') as tz
      from json_to_recordset(${json}::json) as r(user_id text, t timestamptz) left join users u on u.id = r.user_id
    ), agg as (
      select t.user_id, t.day, t.tz,
        coalesce(sum((o."values"->'count'->>'value')::float8) filter (where o.metric = 'steps'), 0) as steps,
        count(o.id) filter (where o.metric = 'workout') as workouts,
        coalesce(sum((o."values"->'duration'->>'value')::float8) filter (where o.metric = 'workout'), 0) as workout_min,
        coalesce(sum((o."values"->'asleep'->>'value')::float8) filter (where o.metric = 'sleep'), 0) as sleep_min,
        coalesce(sum((o."values"->'duration'->>'value')::float8) filter (where o.metric = 'mindfulness'), 0) as mindfulness_min,
        coalesce(sum((o."values"->'kg'->>'value')::float8) filter (where o.metric = 'body_weight'), 0) as weight_sum,
        count(o.id) filter (where o.metric = 'body_weight') as weight_n,
        count(o.id) filter (where o.metric = 'blood_pressure') as bp_n,
        coalesce(sum((o."values"->'systolic'->>'value')::float8) filter (where o.metric = 'blood_pressure'), 0) as bp_sys_sum,
        coalesce(sum((o."values"->'diastolic'->>'value')::float8) filter (where o.metric = 'blood_pressure'), 0) as bp_dia_sum,
        coalesce(sum((o."values"->'energy'->>'value')::float8) filter (where o.metric = 'food'), 0) as food_kcal
      from t left join observations o on o.user_id = t.user_id
        and o.metric in ('steps', 'workout', 'sleep', 'mindfulness', 'body_weight', 'blood_pressure', 'food')
        and o.time_end >= (t.day::timestamp at time zone t.tz) and o.time_end < ((t.day + 1)::timestamp at time zone t.tz)
      group by t.user_id, t.day, t.tz
    )
    insert into local_daily_rollups as l (user_id, day, time_zone, steps, workouts, workout_min, sleep_min, mindfulness_min, weight_sum, weight_n, bp_n, bp_sys_sum, bp_dia_sum, food_kcal)
    select user_id, day, tz, steps, workouts, workout_min, sleep_min, mindfulness_min, weight_sum, weight_n, bp_n, bp_sys_sum, bp_dia_sum, food_kcal from agg
    order by user_id, day
    on conflict (user_id, day) do update set time_zone = excluded.time_zone, steps = excluded.steps, workouts = excluded.workouts,
      workout_min = excluded.workout_min, sleep_min = excluded.sleep_min, mindfulness_min = excluded.mindfulness_min,
      weight_sum = excluded.weight_sum, weight_n = excluded.weight_n, bp_n = excluded.bp_n, bp_sys_sum = excluded.bp_sys_sum,
      bp_dia_sum = excluded.bp_dia_sum, food_kcal = excluded.food_kcal, updated_at = now()
    returning user_id, day::text as day`);
  return rows.map((r) => ({ userId: r.user_id, day: r.day }));
}

/** The local-day totals of a user in [from, to] (days, inclusive). */
export async function localDays(db: Db, userId: string, from: string, to: string): Promise<LocalDayTotals[]> {
  const rows = await queryRows<Record<string, string | number>>(db, sql`
    select day::text as day, time_zone, steps, workouts, workout_min, sleep_min, mindfulness_min, weight_sum, weight_n, bp_n, bp_sys_sum, bp_dia_sum, food_kcal
    from local_daily_rollups where user_id = ${userId} and day >= ${from}::date and day <= ${to}::date order by day`);
  return rows.map((r) => ({
    day: String(r.day), timeZone: String(r.time_zone), steps: Number(r.steps), workouts: Number(r.workouts), workoutMin: Number(r.workout_min),
    sleepMin: Number(r.sleep_min), mindfulnessMin: Number(r.mindfulness_min),
    weightKg: Number(r.weight_n) > 0 ? Number(r.weight_sum) / Number(r.weight_n) : null,
    bpN: Number(r.bp_n), bpSysSum: Number(r.bp_sys_sum), bpDiaSum: Number(r.bp_dia_sum), foodKcal: Number(r.food_kcal),
  }));
}

/** Seconds in HR zones ≥ 2 per UTC day (daily_rollups, filled by the refresher) in [from, to]. */
export async function activeSecondsByDay(db: Db, userId: string, from: string, to: string): Promise<Map<string, number>> {
  const rows = await queryRows<{ day: string; zs: number[] | null }>(db, sql`
    select day::text as day, zone_seconds as zs from daily_rollups where user_id = ${userId} and day >= ${from}::date and day <= ${to}::date`);
  const out = new Map<string, number>();
  for (const r of rows) {
    const zs = Array.isArray(r.zs) ? r.zs : [];
    out.set(r.day, zs.slice(2).reduce((a, b) => a + Number(b), 0));
  }
  return out;
}
