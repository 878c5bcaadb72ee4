/**
 * A heart-rate series and the one rule for how long a reading counts: each reading holds
 * until the next one, but never longer than `MAX_GAP_SECONDS` (a longer gap is missing data,
 * not time at that heart rate). Time in zones, effort points and calories all use it.
 */
export interface HrReading {
  /** ISO instant or epoch ms. */
  at: string | number;
  bpm: number;
}

/** Longest time one reading holds, by default. */
export const MAX_GAP_SECONDS = 60;

export function instantMs(at: string | number): number {
  return typeof at === 'number' ? at : Date.parse(at);
}

/** The readings as { t (ms), bpm }, oldest first. */
export function sortedReadings(readings: readonly HrReading[]): { t: number; bpm: number }[] {
  return readings.map((r) => ({ t: instantMs(r.at), bpm: r.bpm })).sort((a, b) => a.t - b.t);
}

/** Seconds a reading at `fromMs` holds when the next one is at `toMs`. */
export function heldSeconds(fromMs: number, toMs: number, maxGapSeconds = MAX_GAP_SECONDS): number {
  return Math.min((toMs - fromMs) / 1000, maxGapSeconds);
}
