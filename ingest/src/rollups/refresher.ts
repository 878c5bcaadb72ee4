import type { StaleRollup, Store, User } from '@pulsehub/store';
import type { Logger } from 'pino';
import { DailyHeartRate, maxHeartRate, type MaxHrFormula } from '@pulsehub/physiology';
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
  /** Days brought up to date from the readings since the last pass, and days read whole. */
  readonly stats: { readonly incremental: number; readonly full: number };
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;

/** The athlete's max HR for a day: measured if known, else from the age that year; undefined without either. */
export function maxHrFor(user: User | undefined, day: string, formula: MaxHrFormula): number | undefined {
  if (user?.maxHr) return user.maxHr;
  if (user?.birthYear) return maxHeartRate({ age: Number(day.slice(0, 4)) - user.birthYear, formula });
  return undefined;
}

/** A day being kept up to date: what was added, up to which transaction (`cursor`). */
interface DayState {
  day: DailyHeartRate;
  maxHr: number | null;
  /** Every reading of the day stored by a transaction ≤ cursor is in `day`. */
  cursor: number;
}

/** Days kept in memory at most (a day is a few hundred bytes; the least recently used goes). */
const MAX_DAYS = 50_000;

/**
 * Keeps the part of the daily rollups that needs the whole day's readings — resting heart rate
 * and seconds in zones (ingest/src/derived) — up to date. The writer bumps a day's `hr_version`
 * in the statement that stores its readings; this recomputes such days from the stored readings,
 * so late, out-of-order and redelivered readings all end in the same result.
 *
 * A day is not read again whole on each pass (at 1 Hz a day is 86,400 readings, and a pass runs
 * every few seconds for every athlete who sent one): the day's state is kept here, and a pass
 * reads only the readings stored since it last looked (by transaction id, bounded by the
 * snapshot's xmin like the delta sync, so a reading still being committed is not skipped). If one
 * of them is not later than the newest reading the state holds (a late or redelivered reading,
 * a changed max HR), the day is computed again from all its readings — the same result either
 * way (`DailyHeartRate` is tested against `restingHeartRate` and `timeInZones`).
 */
export function startRollupRefresher(o: RollupRefresherOptions): RollupRefresher {
  const formula = o.maxHrFormula ?? 'tanaka';
  let running: Promise<number> | null = null;
  let closed = false;
  const days = new Map<string, DayState>();
  const stats = { incremental: 0, full: 0 };

  /** The kept state of a day, if it is still good for this max HR. */
  const kept = (key: string, maxHr: number | null): DayState | undefined => {
    const state = days.get(key);
    return state && state.maxHr === maxHr ? state : undefined;
  };

  /**
   * Brings the day's state up to what is stored (`readings`: those after its cursor, read with
   * the others of the pass) and answers the day's values with every stored reading.
   */
  const catchUp = async (userId: string, day: string, maxHr: number | null, fetched: { readings: readonly { at: number; bpm: number; txid: number }[]; xmin: number }): Promise<DailyHeartRate> => {
    const key = `${userId}|${day}`;
    const from = new Date(`${day}T00:00:00.000Z`);
    const to = new Date(from.getTime() + DAY_MS);
    let state = kept(key, maxHr);
    let { readings, xmin } = fetched;
    if (state && readings.length > 0 && readings[0]!.at < (state.day.last ?? -Infinity)) {
      // A reading before the newest one already counted: the day again, from the start.
      state = undefined;
      ({ readings, xmin } = await o.store.rollups.heartRateAfter(userId, from, to, 0));
    }
    if (!state) {
      state = { day: new DailyHeartRate({ maxHr: maxHr ?? 1 }), maxHr, cursor: 0 };
      stats.full++;
    } else stats.incremental++;
    // Readings of transactions at or above xmin are visible, but one still running below them
    // may add earlier ones: they count in what is saved now, and are read again next pass.
    const held = readings.filter((r) => r.txid >= xmin);
    for (const r of readings) if (r.txid < xmin) state.day.add(r.at, r.bpm);
    let values = state.day;
    if (held.length > 0) {
      if (held[0]!.at >= (state.day.last ?? -Infinity)) {
        values = state.day.copy();
        for (const r of held) values.add(r.at, r.bpm);
      } else {
        // Interleaved in time with readings already counted: every visible reading, in order.
        values = new DailyHeartRate({ maxHr: maxHr ?? 1 });
        for (const r of (await o.store.rollups.heartRateAfter(userId, from, to, 0)).readings) values.add(r.at, r.bpm);
      }
    }
    // Every transaction below xmin has ended: nothing more can appear below it.
    state.cursor = Math.max(state.cursor, xmin - 1);
    days.delete(key);
    days.set(key, state);
    if (days.size > MAX_DAYS) days.delete(days.keys().next().value!);
    return values;
  };

  /**
   * The stale days, a page at a time: three round trips per page (users, readings, saves), not
   * three per day. A pass goes through the days once, in order: a day written to again meanwhile
   * waits for the next pass. (Going back to the first page until none was stale, a pass under
   * steady writes never ended: at 1,000 athletes sending each second it ran back to back, 50
   * passes a second of ~10 days each.)
   */
  const refreshOnce = async (before?: string): Promise<number> => {
    let done = 0;
    let after: { day: string; userId: string } | undefined;
    for (;;) {
      const stale = await o.store.rollups.stale(100, before, after);
      if (stale.length === 0) return done;
      const last = stale[stale.length - 1]!;
      after = { day: last.day, userId: last.userId };
      const users = new Map((await o.store.users.getMany([...new Set(stale.map((s) => s.userId))])).map((u) => [u.id, u] as const));
      const retainedFrom = o.retainedFrom?.();
      const current: { s: StaleRollup; key: string; maxHr: number | null }[] = [];
      const saves: Parameters<Store['rollups']['saveRefreshMany']>[0][number][] = [];
      for (const s of stale) {
        const maxHr = maxHrFor(users.get(s.userId), s.day, formula) ?? null;
        const key = `${s.userId}|${s.day}`;
        if (retainedFrom !== undefined && s.day < retainedFrom) {
          // The raw readings are gone: keep the values computed while they were there.
          const [row] = await o.store.history.daily({ userId: s.userId, from: s.day, to: s.day });
          saves.push({ userId: s.userId, day: s.day, version: s.hrVersion, restingHr: row?.restingHr ?? null, zoneSeconds: row?.zoneSeconds ?? null, maxHr: row?.maxHr ?? maxHr });
          days.delete(key);
          continue;
        }
        current.push({ s, key, maxHr });
      }
      const fetched = current.length === 0 ? { readings: new Map<string, never[]>(), xmin: 0 } : await o.store.rollups.heartRateAfterMany(current.map(({ s, key, maxHr }) => ({ userId: s.userId, day: s.day, afterTxid: kept(key, maxHr)?.cursor ?? 0 })));
      for (const { s, key, maxHr } of current) {
        const values = await catchUp(s.userId, s.day, maxHr, { readings: fetched.readings.get(key) ?? [], xmin: fetched.xmin });
        const resting = values.restingHr;
        // A reading committed after the version was read bumps it again: the day is stale once more.
        saves.push({
          userId: s.userId, day: s.day, version: s.hrVersion,
          restingHr: resting === undefined ? null : Math.round(resting * 10) / 10,
          zoneSeconds: maxHr === null ? null : values.secondsInZones.map((x) => Math.round(x)),
          maxHr,
        });
      }
      await o.store.rollups.saveRefreshMany(saves);
      done += current.length;
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
    stats,
    async close() {
      closed = true;
      clearInterval(timer);
      await running?.catch(() => 0);
    },
  };
}
