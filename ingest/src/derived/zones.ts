/**
 * Heart-rate zones as percent of maximum heart rate, time in zones, and effort points.
 *
 * Max HR: the athlete's measured value when known, else an age formula:
 *   tanaka  208 − 0.7 × age   (Tanaka, Monahan & Seals 2001; the default)
 *   fox     220 − age         (the classic rule of thumb)
 *   gulati  206 − 0.88 × age  (Gulati et al. 2010, derived in women)
 *
 * Zones (the common five-zone model): 1 = 50–60 %, 2 = 60–70 %, 3 = 70–80 %, 4 = 80–90 %,
 * 5 = ≥ 90 % of max HR; 0 = below 50 % (rest). A bound belongs to the zone above it.
 */
export type MaxHrFormula = 'tanaka' | 'fox' | 'gulati';

export interface HrProfile {
  /** Measured max HR (bpm): wins over any formula. */
  maxHr?: number;
  age?: number;
  formula?: MaxHrFormula;
}

export function maxHeartRate(p: HrProfile): number {
  if (p.maxHr !== undefined) return p.maxHr;
  if (p.age === undefined) throw new RangeError('max heart rate needs maxHr or age');
  switch (p.formula ?? 'tanaka') {
    case 'tanaka': return 208 - 0.7 * p.age;
    case 'fox': return 220 - p.age;
    case 'gulati': return 206 - 0.88 * p.age;
  }
}

/** Lower bounds of zones 1..5 as fractions of max HR. */
export const ZONE_FLOORS = [0.5, 0.6, 0.7, 0.8, 0.9] as const;
export type Zone = 0 | 1 | 2 | 3 | 4 | 5;

export function zoneOf(bpm: number, maxHr: number): Zone {
  const pct = bpm / maxHr;
  let zone: Zone = 0;
  ZONE_FLOORS.forEach((floor, i) => {
    if (pct >= floor) zone = (i + 1) as Zone;
  });
  return zone;
}

/** [low, high) bpm of each zone 1..5 (zone 5 is open above). */
export function zoneBounds(maxHr: number): { zone: Zone; minBpm: number; maxBpm: number }[] {
  return ZONE_FLOORS.map((floor, i) => ({ zone: (i + 1) as Zone, minBpm: floor * maxHr, maxBpm: (ZONE_FLOORS[i + 1] ?? Infinity) * maxHr }));
}

export interface HrReading {
  /** ISO instant or epoch ms. */
  at: string | number;
  bpm: number;
}

/**
 * Seconds spent in each zone 0..5. Each reading holds until the next one, but never longer
 * than `maxGapSeconds` (a longer gap is missing data, not time in a zone); the last reading
 * holds for `maxGapSeconds` too only when `holdLast` is set.
 */
export function timeInZones(readings: readonly HrReading[], maxHr: number, opts: { maxGapSeconds?: number; holdLast?: boolean } = {}): number[] {
  const maxGap = opts.maxGapSeconds ?? 60;
  const sorted = readings.map((r) => ({ t: typeof r.at === 'number' ? r.at : Date.parse(r.at), bpm: r.bpm })).sort((a, b) => a.t - b.t);
  const seconds = [0, 0, 0, 0, 0, 0];
  sorted.forEach((r, i) => {
    const next = sorted[i + 1];
    const held = next ? Math.min((next.t - r.t) / 1000, maxGap) : opts.holdLast ? maxGap : 0;
    seconds[zoneOf(r.bpm, maxHr)]! += held;
  });
  return seconds;
}

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
