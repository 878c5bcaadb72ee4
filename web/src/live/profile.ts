import { maxHeartRate, percentOfFtp, percentOfMax, powerZoneOf, ZONE_FLOORS, zoneOf } from '@pulsehub/physiology';
import type { AthleteProfile, CanonicalEvent, HrDerived, PowerDerived } from '@pulsehub/contracts';
import type { User } from '@pulsehub/store';

/** Age assumed when a user has neither a measured max HR nor a birth year. */
export const DEFAULT_AGE = 35;
export const DEFAULT_ZONE_FLOORS: readonly number[] = ZONE_FLOORS;

/** Max HR: measured, else Tanaka (208 − 0.7 × age) from the birth year, else from DEFAULT_AGE. */
export function profileOf(user: (Pick<User, 'maxHr' | 'birthYear'> & Partial<Pick<User, 'ftpWatts'>>) | undefined, now = new Date()): AthleteProfile & { age: number } {
  const age = user?.birthYear ? Math.max(10, now.getFullYear() - user.birthYear) : DEFAULT_AGE;
  const ftpWatts = user?.ftpWatts ?? null;
  if (user?.maxHr) return { maxHr: user.maxHr, maxHrSource: 'measured', age, ftpWatts };
  return { maxHr: Math.round(maxHeartRate({ age })), maxHrSource: user?.birthYear ? 'age' : 'default', age, ftpWatts };
}

/** % FTP and Coggan level of a cycling event's power; undefined without power or FTP. */
export function powerDerived(event: CanonicalEvent, ftpWatts: number | null | undefined): PowerDerived | undefined {
  const watts = event.metric === 'cycling' ? event.values.power?.value : undefined;
  if (watts === undefined || !ftpWatts) return undefined;
  return { ftp: ftpWatts, pctFtp: percentOfFtp(watts, ftpWatts), zone: powerZoneOf(watts, ftpWatts) };
}

/** % of max HR and zone, with the floors the hub (or a class) uses. */
export function hrDerived(bpm: number, maxHr: number, floors: readonly number[] = DEFAULT_ZONE_FLOORS): HrDerived {
  return { maxHr, pctMax: percentOfMax(bpm, maxHr), zone: zoneOf(bpm, maxHr, floors) };
}
