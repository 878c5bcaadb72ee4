/**
 * Myzone-style effort points (MEPs) per minute in each zone: zone 0 → 0, zone 1 (50–59 %) → 1,
 * zone 2 (60–69 %) → 2, zone 3 (70–79 %) → 3, zone 4 (80–89 %) → 4, zone 5 (≥ 90 %) → 4.
 * Above 90 % earns no more than zone 4, so sustained moderate work is not out-scored by sprints.
 */
export const EFFORT_POINTS_PER_MINUTE = [0, 1, 2, 3, 4, 4] as const;

/** Effort points from seconds in zones 0..5 (as returned by `timeInZones`); fractional minutes count pro rata. */
export function effortPoints(secondsInZones: readonly number[]): number {
  return secondsInZones.reduce((sum, s, zone) => sum + (s / 60) * (EFFORT_POINTS_PER_MINUTE[zone] ?? 0), 0);
}
