import { maxHeartRate, ZONE_FLOORS } from '@pulsehub/ingest';
import type { AthleteProfile, HrDerived } from '@pulsehub/contracts';
import type { UserRow } from '@pulsehub/store';

/** Age assumed when a user has neither a measured max HR nor a birth year. */
export const DEFAULT_AGE = 35;
export const DEFAULT_ZONE_FLOORS: readonly number[] = ZONE_FLOORS;

/** Max HR: measured, else Tanaka (208 − 0.7 × age) from the birth year, else from DEFAULT_AGE. */
export function profileOf(user: Pick<UserRow, 'maxHr' | 'birthYear'> | undefined, now = new Date()): AthleteProfile & { age: number } {
  const age = user?.birthYear ? Math.max(10, now.getFullYear() - user.birthYear) : DEFAULT_AGE;
  if (user?.maxHr) return { maxHr: user.maxHr, maxHrSource: 'measured', age };
  return { maxHr: Math.round(maxHeartRate({ age })), maxHrSource: user?.birthYear ? 'age' : 'default', age };
}

/**
 * Zone 0..5 for a fraction of max HR with configurable floors. `zoneOf` in @pulsehub/ingest
 * has the default floors built in; a class may choose its own, so the floors are a parameter
 * here (same rule: a bound belongs to the zone above it).
 */
export function zoneFor(bpm: number, maxHr: number, floors: readonly number[] = DEFAULT_ZONE_FLOORS): number {
  const pct = bpm / maxHr;
  let zone = 0;
  floors.forEach((f, i) => {
    if (pct >= f) zone = i + 1;
  });
  return zone;
}

export function hrDerived(bpm: number, maxHr: number, floors: readonly number[] = DEFAULT_ZONE_FLOORS): HrDerived {
  return { maxHr, pctMax: Math.round((bpm / maxHr) * 1000) / 10, zone: zoneFor(bpm, maxHr, floors) };
}

/** Five increasing floors in (0, 1.5). */
export function validZoneFloors(f: readonly number[]): boolean {
  return f.length === 5 && f.every((x, i) => x > 0 && x < 1.5 && (i === 0 || x > f[i - 1]!));
}
