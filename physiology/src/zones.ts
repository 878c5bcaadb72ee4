/**
 * Heart-rate zones as percent of maximum heart rate (see max-hr.ts for the maximum).
 *
 * Zones (the common five-zone model): 1 = 50–60 %, 2 = 60–70 %, 3 = 70–80 %, 4 = 80–90 %,
 * 5 = ≥ 90 % of max HR; 0 = below 50 % (rest). A bound belongs to the zone above it.
 * A class may choose its own five floors; every function here takes them as a parameter
 * with these defaults, so the rule is written once.
 */

/** Lower bounds of zones 1..5 as fractions of max HR. */
export const ZONE_FLOORS = [0.5, 0.6, 0.7, 0.8, 0.9] as const;
export type Zone = 0 | 1 | 2 | 3 | 4 | 5;

export function zoneOf(bpm: number, maxHr: number, floors: readonly number[] = ZONE_FLOORS): Zone {
  const pct = bpm / maxHr;
  let zone: Zone = 0;
  floors.forEach((floor, i) => {
    if (pct >= floor) zone = (i + 1) as Zone;
  });
  return zone;
}

/** Percent of max HR, one decimal, as the board and the live stream show it. */
export function percentOfMax(bpm: number, maxHr: number): number {
  return Math.round((bpm / maxHr) * 1000) / 10;
}

/** [low, high) bpm of each zone 1..5 (zone 5 is open above). */
export function zoneBounds(maxHr: number, floors: readonly number[] = ZONE_FLOORS): { zone: Zone; minBpm: number; maxBpm: number }[] {
  return floors.map((floor, i) => ({ zone: (i + 1) as Zone, minBpm: floor * maxHr, maxBpm: (floors[i + 1] ?? Infinity) * maxHr }));
}

/** Five increasing floors in (0, 1.5): what a class may choose. */
export function validZoneFloors(f: readonly number[]): boolean {
  return f.length === 5 && f.every((x, i) => x > 0 && x < 1.5 && (i === 0 || x > f[i - 1]!));
}
