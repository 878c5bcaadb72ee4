import type { Store, User } from '@pulsehub/store';
import type { Logger } from 'pino';
import { maxHeartRate, restingHeartRate, timeInZones, type MaxHrFormula } from '@pulsehub/physiology';
import { errorFacts } from '../pipeline/commit-errors.js';

export interface RollupRefresherOptions {
  store: Store;
  logger: Logger;
  /** How often stale days are recomputed; readings show up in resting HR and zones within about this. */
  intervalMs?: number;
  /** Max HR from age when the athlete has no measured value (default tanaka: 208 − 0.7 × age). */
  maxHrFormula?: MaxHrFormula;
  /** Days before this (YYYY-MM-DD) have had their raw readings removed by retention: not recomputed. */
  retainedFrom?: () => string | undefined;
}

export interface RollupRefresher {
  /** Recomputes stale days (all of them, or those before `before`); returns how many. */
  refresh(before?: string): Promise<number>;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

/** The athlete's max HR for a day: measured if known, else from the age that year; undefined without either. */
export function maxHrFor(user: User | undefined, day: string, formula: MaxHrFormula): number | undefined {
  if (user?.maxHr) return user.maxHr;
  if (user?.birthYear) return maxHeartRate({ age: Number(day.slice(0, 4)) - user.birthYear, formula });
  return undefined;
}

/**
 * Keeps the part of the daily rollups that needs the whole day's readings — resting heart rate
 * and seconds in zones (ingest/src/derived) — up to date. The writer bumps a day's `hr_version`
 * in the statement that stores its readings; this recomputes such days from the stored readings,
 * so late, out-of-order and redelivered readings all end in the same result.
 */
export function startRollupRefresher(o: RollupRefresherOptions): RollupRefresher {
  const formula = o.maxHrFormula ?? 'tanaka';
  let running: Promise<number> | null = null;
  let closed = false;

  const refreshOnce = async (before?: string): Promise<number> => {
    let done = 0;
    for (;;) {
      const stale = await o.store.rollups.stale(100, before);
      if (stale.length === 0) return done;
      const users = new Map<string, User | undefined>();
      for (const s of stale) {
        if (!users.has(s.userId)) users.set(s.userId, await o.store.users.get(s.userId));
        const maxHr = maxHrFor(users.get(s.userId), s.day, formula) ?? null;
        const retainedFrom = o.retainedFrom?.();
        if (retainedFrom !== undefined && s.day < retainedFrom) {
          // The raw readings are gone: keep the values computed while they were there.
          const [row] = await o.store.history.daily({ userId: s.userId, from: s.day, to: s.day });
          await o.store.rollups.saveRefresh({ userId: s.userId, day: s.day, version: s.hrVersion, restingHr: row?.restingHr ?? null, zoneSeconds: row?.zoneSeconds ?? null, maxHr: row?.maxHr ?? maxHr });
          continue;
        }
        const from = new Date(`${s.day}T00:00:00.000Z`);
        const readings = await o.store.rollups.heartRate(s.userId, from, new Date(from.getTime() + DAY_MS));
        const resting = restingHeartRate(readings);
        await o.store.rollups.saveRefresh({
          userId: s.userId, day: s.day, version: s.hrVersion,
          restingHr: resting === undefined ? null : Math.round(resting * 10) / 10,
          zoneSeconds: maxHr === null ? null : timeInZones(readings, maxHr).map((x) => Math.round(x)),
          maxHr,
        });
        done++;
      }
      if (closed) return done;
    }
  };

  const refresh = (before?: string): Promise<number> => {
    // One pass at a time; a caller arriving meanwhile runs its own pass after it.
    const next = (running ?? Promise.resolve(0)).catch(() => 0).then(() => refreshOnce(before));
    running = next;
    return next;
  };

  const timer = setInterval(() => {
    refresh().catch((err: unknown) => o.logger.warn(errorFacts(err), 'rollup refresh failed; will retry'));
  }, o.intervalMs ?? 5000);
  timer.unref();

  return {
    refresh,
    async close() {
      closed = true;
      clearInterval(timer);
      await running?.catch(() => 0);
    },
  };
}
