import { sql } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';

/** What the morning RMSSD of one day is computed from (see ingest/src/derived/hrv.ts). */
export interface MorningHrvInputs {
  /** Ends (epoch ms) of sleep sessions that end in the day. */
  sleepEnds: number[];
  /** The first heart-rate reading of the day that follows ≥ 3 h without one (epoch ms), if any. */
  firstAfterSilence: number | null;
  /** hrv_rmssd readings from the earliest possible waking to 30 min after the day ends. */
  values: { at: number; rmssd: number }[];
}

export interface HrvRepo {
  morningInputs(userId: string, dayStart: Date): Promise<MorningHrvInputs>;
}

const ms = (v: Date | string | number) => (v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v));

/** Reads for the morning-RMSSD rollup: three index-backed queries on (user, metric, time). */
export function createHrvRepo(db: Db): HrvRepo {
  return {
    async morningInputs(userId, dayStart) {
      const dayEnd = new Date(dayStart.getTime() + 86_400_000);
      const silenceFrom = new Date(dayStart.getTime() - 3 * 3600_000);
      const sleep = await queryRows<{ t: Date | string }>(db, sql`
        select time_end as t from observations
        where user_id = ${userId} and metric = 'sleep' and time_end >= ${dayStart.toISOString()}::timestamptz and time_end < ${dayEnd.toISOString()}::timestamptz`);
      const [first] = await queryRows<{ t: Date | string }>(db, sql`
        select t from (
          select time_end as t, lag(time_end) over (order by time_end) as p from observations
          where user_id = ${userId} and metric = 'heart_rate' and time_end >= ${silenceFrom.toISOString()}::timestamptz and time_end < ${dayEnd.toISOString()}::timestamptz
        ) x
        where t >= ${dayStart.toISOString()}::timestamptz and (p is null or t - p >= interval '3 hours')
        order by t limit 1`);
      const values = await queryRows<{ t: Date | string; v: number | string }>(db, sql`
        select time_end as t, ("values"->'rmssd'->>'value')::float8 as v from observations
        where user_id = ${userId} and metric = 'hrv_rmssd' and time_end >= ${dayStart.toISOString()}::timestamptz and time_end < ${new Date(dayEnd.getTime() + 1800_000).toISOString()}::timestamptz
        order by time_end`);
      return {
        sleepEnds: sleep.map((r) => ms(r.t)),
        firstAfterSilence: first ? ms(first.t) : null,
        values: values.map((r) => ({ at: ms(r.t), rmssd: Number(r.v) })),
      };
    },
  };
}
