import { and, eq, lt, sql } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';
import { dailyRollups, users } from './schema.js';

export interface StaleRollup {
  userId: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
  hrVersion: number;
}

export interface RollupRepo {
  /** Days whose heart-rate readings changed since resting HR and zones were last computed, oldest first. */
  stale(limit: number, before?: string): Promise<StaleRollup[]>;
  /** Heart-rate readings (epoch ms, bpm) that start in [from, to). */
  heartRate(userId: string, from: Date, to: Date): Promise<{ at: number; bpm: number }[]>;
  /**
   * Heart-rate readings that start in [from, to) stored by transactions after `afterTxid`,
   * oldest first, with the snapshot's xmin: every transaction below it has ended, so the
   * readings with `txid < xmin` are all there will ever be below it (the delta-sync rule);
   * those at or above it may be joined by readings still being committed.
   */
  heartRateAfter(userId: string, from: Date, to: Date, afterTxid: number): Promise<{ readings: { at: number; bpm: number; txid: number }[]; xmin: number }>;
  /** Saves what the refresher computed for `version`; an older version never overwrites a newer one. */
  saveRefresh(r: { userId: string; day: string; version: number; restingHr: number | null; zoneSeconds: number[] | null; maxHr: number | null }): Promise<void>;
  /** Deletes raw readings of these metrics that ended before `cutoff`, user by user (index-backed). Returns how many. */
  deleteRawBefore(metrics: readonly string[], cutoff: Date): Promise<number>;
}

export function createRollupRepo(db: Db): RollupRepo {
  return {
    async stale(limit, before) {
      const rows = await queryRows<{ user_id: string; day: string; hr_version: number | string }>(db, sql`
        select user_id, day::text as day, hr_version from daily_rollups
        where hr_version > refreshed_version ${before ? sql`and day < ${before}::date` : sql``}
        order by day, user_id limit ${limit}`);
      return rows.map((r) => ({ userId: r.user_id, day: r.day, hrVersion: Number(r.hr_version) }));
    },
    async heartRate(userId, from, to) {
      // Heart rate is an instant metric (start = end): the (user, metric, time_end) index serves this.
      const rows = await queryRows<{ at: number | string; bpm: number | string }>(db, sql`
        select (extract(epoch from time_end) * 1000)::float8 as at, ("values"->'bpm'->>'value')::float8 as bpm
        from observations
        where user_id = ${userId} and metric = 'heart_rate' and time_end >= ${from.toISOString()}::timestamptz and time_end < ${to.toISOString()}::timestamptz
        order by time_end`);
      return rows.map((r) => ({ at: Number(r.at), bpm: Number(r.bpm) }));
    },
    async heartRateAfter(userId, from, to, afterTxid) {
      const rows = await queryRows<{ at: number | string; bpm: number | string; txid: number | string; xmin: number | string }>(db, sql`
        with s as (select (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint as xmin)
        select (extract(epoch from o.time_end) * 1000)::float8 as at, (o."values"->'bpm'->>'value')::float8 as bpm, o.txid, s.xmin
        from s left join observations o
          on o.user_id = ${userId} and o.metric = 'heart_rate' and o.txid > ${afterTxid}
          and o.time_end >= ${from.toISOString()}::timestamptz and o.time_end < ${to.toISOString()}::timestamptz
        order by o.time_end`);
      const xmin = Number(rows[0]?.xmin ?? 0);
      const readings = rows.filter((r) => r.at !== null).map((r) => ({ at: Number(r.at), bpm: Number(r.bpm), txid: Number(r.txid) }));
      return { readings, xmin };
    },
    async saveRefresh(r) {
      await db.update(dailyRollups)
        .set({ restingHr: r.restingHr, zoneSeconds: r.zoneSeconds, maxHr: r.maxHr, refreshedVersion: r.version, updatedAt: new Date() })
        .where(and(eq(dailyRollups.userId, r.userId), eq(dailyRollups.day, r.day), lt(dailyRollups.refreshedVersion, r.version)));
    },
    async deleteRawBefore(metrics, cutoff) {
      if (metrics.length === 0) return 0;
      const ids = await db.select({ id: users.id }).from(users);
      let deleted = 0;
      for (const { id } of ids) {
        for (const metric of metrics) {
          const [row] = await queryRows<{ n: number | string }>(db, sql`
            with d as (delete from observations where user_id = ${id} and metric = ${metric} and time_end < ${cutoff.toISOString()}::timestamptz returning 1)
            select count(*)::int as n from d`);
          deleted += Number(row?.n ?? 0);
        }
      }
      return deleted;
    },
  };
}
