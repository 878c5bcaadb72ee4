import { and, asc, desc, eq, gte, lt, sql } from 'drizzle-orm';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { queryRows, type Db } from './db.js';
import { toEvent } from './rows.js';
import { dailyRollups, observations } from './schema.js';

export interface Bucket {
  /** ISO start of the bucket. */
  t: string;
  min: number;
  avg: number;
  max: number;
  n: number;
}

/**
 * Position in a user's stored observations: the storing transaction's id, then the event id.
 * Event ids are unique per user (the key is (user_id, id)), and every query here is for one
 * user, so (txid, id) orders a user's rows totally even when other users reuse the same ids.
 */
export interface SyncCursor {
  txid: number;
  id: string;
}

export interface DailySummaryRow {
  day: string;
  steps: number;
  hrCount: number;
  hrAvg: number | null;
  hrMin: number | null;
  hrMax: number | null;
  restingHr: number | null;
  zoneSeconds: number[] | null;
  maxHr: number | null;
  /** False while resting HR and zones wait for the refresher. */
  current: boolean;
}

export interface HistoryRepo {
  /** min/avg/max/n of one component per time bucket (by reading end), buckets with no reading left out. */
  buckets(q: { userId: string; metric: string; component: string; from: Date; to: Date; bucketSeconds: number }): Promise<Bucket[]>;
  /** Raw readings in [from, to) by end time, oldest first; `after` continues a page. */
  range(q: { userId: string; metric: string; from: Date; to: Date; limit: number; after?: { at: Date; id: string } }): Promise<CanonicalEvent[]>;
  /**
   * What was stored after `cursor`, in storage order. Only rows of transactions older than the
   * oldest one still running are returned, so a later commit never lands behind a cursor.
   */
  changes(q: { userId: string; cursor: SyncCursor | null; limit: number; metric?: string }): Promise<{ events: CanonicalEvent[]; cursors: SyncCursor[] }>;
  daily(q: { userId: string; from: string; to: string }): Promise<DailySummaryRow[]>;
  latest(userId: string, metric?: string): Promise<CanonicalEvent[]>;
}

export function createHistoryRepo(db: Db): HistoryRepo {
  return {
    async buckets(q) {
      const rows = await queryRows<{ t: number | string; min: number | string; avg: number | string; max: number | string; n: number | string }>(db, sql`
        select extract(epoch from date_bin(make_interval(secs => ${q.bucketSeconds}::float8), time_end, timestamptz '1970-01-01 00:00:00+00'))::float8 * 1000 as t,
          min(x)::float8 as min, avg(x)::float8 as avg, max(x)::float8 as max, count(*)::int as n
        from (
          select time_end, ("values"->${q.component}->>'value')::float8 as x
          from observations
          where user_id = ${q.userId} and metric = ${q.metric} and time_end >= ${q.from.toISOString()}::timestamptz and time_end < ${q.to.toISOString()}::timestamptz
        ) s
        where x is not null
        group by 1 order by 1`);
      return rows.map((r) => ({ t: new Date(Number(r.t)).toISOString(), min: Number(r.min), avg: Number(r.avg), max: Number(r.max), n: Number(r.n) }));
    },
    async range(q) {
      const conds = [eq(observations.userId, q.userId), eq(observations.metric, q.metric), gte(observations.timeEnd, q.from), lt(observations.timeEnd, q.to)];
      if (q.after) conds.push(sql`(${observations.timeEnd}, ${observations.id}) > (${q.after.at.toISOString()}::timestamptz, ${q.after.id})`);
      const rows = await db.select().from(observations).where(and(...conds)).orderBy(asc(observations.timeEnd), asc(observations.id)).limit(q.limit);
      return rows.map(toEvent);
    },
    async changes(q) {
      const conds = [eq(observations.userId, q.userId), sql`${observations.txid} < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint`];
      if (q.cursor) conds.push(sql`(${observations.txid}, ${observations.id}) > (${q.cursor.txid}::bigint, ${q.cursor.id})`);
      if (q.metric) conds.push(eq(observations.metric, q.metric));
      const rows = await db.select().from(observations).where(and(...conds)).orderBy(asc(observations.txid), asc(observations.id)).limit(q.limit);
      return { events: rows.map(toEvent), cursors: rows.map((r) => ({ txid: Number(r.txid), id: r.id })) };
    },
    async daily(q) {
      const rows = await db.select().from(dailyRollups)
        .where(and(eq(dailyRollups.userId, q.userId), gte(dailyRollups.day, q.from), sql`${dailyRollups.day} <= ${q.to}::date`))
        .orderBy(asc(dailyRollups.day));
      return rows.map((r) => ({
        day: r.day, steps: r.steps, hrCount: r.hrCount, hrAvg: r.hrCount > 0 ? r.hrSum / r.hrCount : null, hrMin: r.hrMin, hrMax: r.hrMax,
        restingHr: r.restingHr, zoneSeconds: r.zoneSeconds ?? null, maxHr: r.maxHr, current: r.refreshedVersion >= r.hrVersion,
      }));
    },
    async latest(userId, metric) {
      const rows = await db
        .selectDistinctOn([observations.metric])
        .from(observations)
        .where(metric ? and(eq(observations.userId, userId), eq(observations.metric, metric)) : eq(observations.userId, userId))
        .orderBy(observations.metric, desc(observations.timeEnd), desc(observations.receivedAt));
      return rows.map(toEvent);
    },
  };
}
