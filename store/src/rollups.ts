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
  /**
   * Days whose heart-rate readings changed since resting HR and zones were last computed, by
   * day then user; `after`: only those past this day and user (the next page).
   */
  stale(limit: number, before?: string, after?: { day: string; userId: string }): Promise<StaleRollup[]>;
  /** Heart-rate readings (epoch ms, bpm) that start in [from, to). */
  heartRate(userId: string, from: Date, to: Date): Promise<{ at: number; bpm: number }[]>;
  /**
   * Heart-rate readings that start in [from, to) stored by transactions after `afterTxid`,
   * oldest first, with the snapshot's xmin: every transaction below it has ended, so the
   * readings with `txid < xmin` are all there will ever be below it (the delta-sync rule);
   * those at or above it may be joined by readings still being committed.
   */
  heartRateAfter(userId: string, from: Date, to: Date, afterTxid: number): Promise<{ readings: { at: number; bpm: number; txid: number }[]; xmin: number }>;
  /**
   * `heartRateAfter` for many days at once (one round trip), by `${userId}|${day}`; the xmin is
   * the statement's, the same for all.
   */
  heartRateAfterMany(days: readonly { userId: string; day: string; afterTxid: number }[]): Promise<{ readings: Map<string, { at: number; bpm: number; txid: number }[]>; xmin: number }>;
  /** `saveRefresh` of many days in one statement. */
  saveRefreshMany(rows: readonly { userId: string; day: string; version: number; restingHr: number | null; zoneSeconds: number[] | null; maxHr: number | null }[]): Promise<void>;
  /** Saves what the refresher computed for `version`; an older version never overwrites a newer one. */
  saveRefresh(r: { userId: string; day: string; version: number; restingHr: number | null; zoneSeconds: number[] | null; maxHr: number | null }): Promise<void>;
  /** Deletes raw readings of these metrics that ended before `cutoff`, user by user (index-backed). Returns how many. */
  deleteRawBefore(metrics: readonly string[], cutoff: Date): Promise<number>;
}

export function createRollupRepo(db: Db): RollupRepo {
  return {
    async stale(limit, before, after) {
      const rows = await queryRows<{ user_id: string; day: string; hr_version: number | string }>(db, sql`
        select user_id, day::text as day, hr_version from daily_rollups
        where hr_version > refreshed_version ${before ? sql`and day < ${before}::date` : sql``}
          ${after ? sql`and (day, user_id) > (${after.day}::date, ${after.userId})` : sql``}
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
    async heartRateAfterMany(days) {
      const readings = new Map<string, { at: number; bpm: number; txid: number }[]>();
      for (const d of days) readings.set(`${d.userId}|${d.day}`, []);
      const json = JSON.stringify(days.map((d) => ({ user_id: d.userId, day: d.day, after: d.afterTxid })));
      const rows = await queryRows<{ user_id: string | null; day: string | null; at: number | string | null; bpm: number | string | null; txid: number | string | null; xmin: number | string }>(db, sql`
        with s as (select (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint as xmin),
        d as (select * from json_to_recordset(${json}::json) as d(user_id text, day date, after bigint))
        select d.user_id, d.day::text as day, (extract(epoch from o.time_end) * 1000)::float8 as at,
          (o."values"->'bpm'->>'value')::float8 as bpm, o.txid, s.xmin
        from s left join (d join observations o
          on o.user_id = d.user_id and o.metric = 'heart_rate' and o.txid > d.after
          and o.time_end >= d.day::timestamp at time zone 'UTC' and o.time_end < (d.day + 1)::timestamp at time zone 'UTC') on true
        order by d.user_id, d.day, o.time_end`);
      const xmin = Number(rows[0]?.xmin ?? 0);
      for (const r of rows) {
        if (r.at === null || r.user_id === null) continue;
        readings.get(`${r.user_id}|${r.day}`)?.push({ at: Number(r.at), bpm: Number(r.bpm), txid: Number(r.txid) });
      }
      return { readings, xmin };
    },
    async saveRefreshMany(rows) {
      if (rows.length === 0) return;
      const json = JSON.stringify(rows.map((r) => ({ user_id: r.userId, day: r.day, version: r.version, resting_hr: r.restingHr, zone_seconds: r.zoneSeconds, max_hr: r.maxHr })));
      // The rows are locked in (user_id, day) order first, the order in which the writer's
      // rollup upsert locks them: an update joined in the plan's order deadlocked with it (each
      // holding a row the other wanted; Postgres breaks that after deadlock_timeout, 1 s, and the
      // batch's PUBACKs waited that long).
      await db.execute(sql`
        with v as (
          select * from json_to_recordset(${json}::json) as v(user_id text, day date, version int, resting_hr real, zone_seconds jsonb, max_hr real)
        ), locked as (
          select d.user_id, d.day from daily_rollups d join v on d.user_id = v.user_id and d.day = v.day
          where d.refreshed_version < v.version
          order by d.user_id, d.day
          for update of d
        )
        update daily_rollups d set resting_hr = v.resting_hr, zone_seconds = v.zone_seconds, max_hr = v.max_hr,
          refreshed_version = v.version, updated_at = now()
        from v join locked l on l.user_id = v.user_id and l.day = v.day
        where d.user_id = v.user_id and d.day = v.day and d.refreshed_version < v.version`);
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
