import { keytelKcalPerMinute, type KeytelProfile } from './calories.js';
import { effortPoints } from './effort.js';
import { heldSeconds, MAX_GAP_SECONDS, sortedReadings, type HrReading } from './readings.js';
import { ZONE_FLOORS, zoneOf } from './zones.js';

export interface AccumulatorOptions {
  maxHr: number;
  /** Zone floors (fractions of max HR); the default five-zone model when omitted. */
  floors?: readonly number[];
  maxGapSeconds?: number;
  /** Count calories too (Keytel et al.) for this person. */
  energy?: KeytelProfile;
}

/**
 * Time in zones 0..5 (and, given `energy`, calories), accumulated one reading at a time, so
 * a live board and a stored summary use the same arithmetic as `timeInZones`. A reading's
 * zone and calorie rate hold until the next reading (`heldSeconds`); the newest reading
 * holds nothing until the next one arrives (or `holdLast`).
 */
export class ZoneAccumulator {
  readonly secondsInZones = [0, 0, 0, 0, 0, 0];
  kcal = 0;
  private latest: { t: number; bpm: number } | null = null;
  private readonly floors: readonly number[];
  private readonly maxGap: number;

  constructor(private readonly o: AccumulatorOptions) {
    this.floors = o.floors ?? ZONE_FLOORS;
    this.maxGap = o.maxGapSeconds ?? MAX_GAP_SECONDS;
  }

  /** The newest reading added, if any. */
  get last(): { readonly t: number; readonly bpm: number } | null {
    return this.latest;
  }

  /**
   * Adds a reading at `t` (ms): the previous reading is credited up to it. A reading older
   * than the newest one is refused (false); one at the same instant replaces it (held 0 s).
   */
  add(t: number, bpm: number): boolean {
    if (this.latest && t < this.latest.t) return false;
    if (this.latest) this.credit(this.latest.bpm, heldSeconds(this.latest.t, t, this.maxGap));
    this.latest = { t, bpm };
    return true;
  }

  /** An independent copy with the same totals and newest reading. */
  copy(): ZoneAccumulator {
    const c = new ZoneAccumulator(this.o);
    c.secondsInZones.splice(0, 6, ...this.secondsInZones);
    c.kcal = this.kcal;
    c.latest = this.latest && { ...this.latest };
    return c;
  }

  /** Credits the newest reading with a full `maxGapSeconds` (a series that ends there). */
  holdLast(): void {
    if (this.latest) this.credit(this.latest.bpm, this.maxGap);
  }

  effortPoints(): number {
    return effortPoints(this.secondsInZones);
  }

  private credit(bpm: number, seconds: number): void {
    this.secondsInZones[zoneOf(bpm, this.o.maxHr, this.floors)]! += seconds;
    if (this.o.energy) this.kcal += (keytelKcalPerMinute(bpm, this.o.energy) * seconds) / 60;
  }
}

/**
 * Seconds spent in each zone 0..5 of a series in any order. Each reading holds until the
 * next one, at most `maxGapSeconds` (default 60); the last reading holds `maxGapSeconds` too
 * only when `holdLast` is set.
 */
export function timeInZones(readings: readonly HrReading[], maxHr: number, opts: { maxGapSeconds?: number; holdLast?: boolean; floors?: readonly number[] } = {}): number[] {
  const acc = new ZoneAccumulator({ maxHr, ...(opts.floors ? { floors: opts.floors } : {}), ...(opts.maxGapSeconds !== undefined ? { maxGapSeconds: opts.maxGapSeconds } : {}) });
  for (const r of sortedReadings(readings)) acc.add(r.t, r.bpm);
  if (opts.holdLast) acc.holdLast();
  return acc.secondsInZones;
}
