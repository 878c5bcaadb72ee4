import type { GoalJson, GoalPeriod } from '@pulsehub/contracts';
import type { LocalDayTotals } from './local-rollups.js';

/**
 * Goal progress from local-day totals: pure, so the REST route and the live tracker compute the
 * same numbers. Days are `YYYY-MM-DD` strings of the athlete's local calendar.
 */

const DAY_MS = 86_400_000;
export const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** Monday of the ISO week holding `day`. */
export function weekStart(day: string): string {
  const dow = new Date(`${day}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(day, -((dow + 6) % 7));
}

/** Today's date in an IANA time zone. */
export function localDay(timeZone: string, at: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** True when Intl (and so the athlete's pages) knows the zone. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The periods of a goal that overlap [from, to]. */
export function goalPeriods(goal: Pick<GoalJson, 'frequency' | 'startDate' | 'targetDate'>, from: string, to: string): { start: string; end: string }[] {
  if (goal.frequency === 'once') {
    const end = goal.targetDate ?? to;
    return goal.startDate <= to && end >= from ? [{ start: goal.startDate, end }] : [];
  }
  const first = from > goal.startDate ? from : goal.startDate;
  const last = goal.targetDate !== null && goal.targetDate < to ? goal.targetDate : to;
  const out: { start: string; end: string }[] = [];
  if (first > last) return out;
  if (goal.frequency === 'daily') {
    for (let d = first; d <= last; d = addDays(d, 1)) out.push({ start: d, end: d });
  } else {
    for (let w = weekStart(first); w <= last; w = addDays(w, 7)) out.push({ start: w, end: addDays(w, 6) });
  }
  return out;
}

export interface ProgressInputs {
  /** Local-day totals by day. */
  days: ReadonlyMap<string, LocalDayTotals>;
  /** Seconds in zones ≥ 2 by (UTC) day, for active minutes. */
  activeSeconds: ReadonlyMap<string, number>;
}

/** Measures one period. */
export function measurePeriod(goal: Pick<GoalJson, 'kind' | 'target' | 'targetDiastolic' | 'direction'>, period: { start: string; end: string }, inp: ProgressInputs): GoalPeriod {
  const days: LocalDayTotals[] = [];
  let active = 0;
  for (let d = period.start; d <= period.end; d = addDays(d, 1)) {
    const t = inp.days.get(d);
    if (t) days.push(t);
    active += inp.activeSeconds.get(d) ?? 0;
  }
  const sum = (f: (t: LocalDayTotals) => number) => days.reduce((a, t) => a + f(t), 0);
  const atLeast = (value: number | null): GoalPeriod => ({
    ...period, value, target: goal.target, fraction: value === null ? 0 : Math.min(1, value / goal.target), met: value !== null && value >= goal.target,
  });
  switch (goal.kind) {
    case 'daily_steps':
      return atLeast(days.length ? sum((t) => t.steps) : null);
    case 'weekly_active_minutes':
      return atLeast(Math.round(active / 60));
    case 'weekly_workouts':
      return atLeast(days.length ? sum((t) => t.workouts) : null);
    case 'nightly_sleep_hours':
      return atLeast(days.length ? Math.round((sum((t) => t.sleepMin) / 60) * 100) / 100 : null);
    case 'weekly_mindfulness_minutes':
      return atLeast(days.length ? sum((t) => t.mindfulnessMin) : null);
    case 'target_weight': {
      const latest = [...days].reverse().find((t) => t.weightKg !== null)?.weightKg ?? null;
      const met = latest !== null && (goal.direction === 'up' ? latest >= goal.target : latest <= goal.target);
      return { ...period, value: latest, target: goal.target, fraction: met ? 1 : latest === null ? 0 : Math.min(1, goal.direction === 'up' ? latest / goal.target : goal.target / latest), met };
    }
    case 'bp_under': {
      const n = sum((t) => t.bpN);
      if (n === 0) return { ...period, value: null, target: goal.target, fraction: 0, met: false };
      const sys = sum((t) => t.bpSysSum) / n;
      const dia = sum((t) => t.bpDiaSum) / n;
      const met = sys < goal.target && dia < (goal.targetDiastolic ?? 80);
      return { ...period, value: Math.round(sys * 10) / 10, target: goal.target, fraction: met ? 1 : 0, met };
    }
  }
}

/** Periods measured, the one holding `today`, and the streak of met periods ending there. */
export function computeProgress(goal: GoalJson, from: string, to: string, today: string, inp: ProgressInputs): { periods: GoalPeriod[]; current: GoalPeriod | null; streak: number } {
  const periods = goalPeriods(goal, from, to).map((p) => measurePeriod(goal, p, inp));
  const idx = periods.findIndex((p) => p.start <= today && today <= p.end);
  const current = idx >= 0 ? periods[idx]! : null;
  // An unmet current period does not break the streak yet: count back from the one before it.
  let i = idx >= 0 ? (current!.met ? idx : idx - 1) : periods.filter((p) => p.end < today).length - 1;
  let streak = 0;
  for (; i >= 0 && periods[i]!.met; i--) streak++;
  return { periods, current, streak };
}
