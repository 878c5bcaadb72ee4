import { ZoneAccumulator, type AccumulatorOptions } from './time-in-zones.js';

/**
 * One day's resting heart rate and seconds in zones, built one reading at a time in time order,
 * with the same results as `restingHeartRate` and `timeInZones` over the whole day's series —
 * so a day can be kept up to date from the readings stored since the last pass, without reading
 * the whole day again each time (a day at 1 Hz is 86,400 readings).
 *
 * Only readings not older than the newest one added are taken (`add` answers false otherwise):
 * a late reading changes what came before it, and the caller starts the day again from all of
 * its readings. Two readings at the same instant both count in their minute's mean, and the
 * later one added holds for the zones (as `timeInZones` does with the order it is given). Memory is constant: the zone accumulator, the lowest closed resting window, and the
 * trailing run of at most `windowMinutes` consecutive minutes (sum and count per minute).
 */
export class DailyHeartRate {
  private zones: ZoneAccumulator;
  /** The trailing run of consecutive covered minutes, oldest first (at most `windowMinutes`). */
  private run: { minute: number; sum: number; n: number }[] = [];
  /** Lowest mean of a window that can no longer change (its last minute is complete). */
  private best: number | undefined;
  private newest: number | undefined;
  count = 0;

  constructor(o: AccumulatorOptions, private readonly windowMinutes = 10) {
    if (!Number.isInteger(windowMinutes) || windowMinutes < 1) throw new RangeError('windowMinutes must be a positive integer');
    this.zones = new ZoneAccumulator(o);
  }

  /** An independent copy (to add readings that may not be final without changing this one). */
  copy(): DailyHeartRate {
    const c = new DailyHeartRate({ maxHr: 1 }, this.windowMinutes);
    c.zones = this.zones.copy();
    c.run = this.run.map((m) => ({ ...m }));
    c.best = this.best;
    c.newest = this.newest;
    c.count = this.count;
    return c;
  }

  /** The newest instant added (ms), if any. */
  get last(): number | undefined {
    return this.newest;
  }

  /** Adds a reading at `t` (ms); false (nothing changed) if it is older than the newest reading added. */
  add(t: number, bpm: number): boolean {
    if (this.newest !== undefined && t < this.newest) return false;
    this.newest = t;
    this.count++;
    this.zones.add(t, bpm);
    const minute = Math.floor(t / 60_000);
    const tail = this.run.at(-1);
    if (tail && tail.minute === minute) {
      tail.sum += bpm;
      tail.n += 1;
      return true;
    }
    // The tail minute is complete: the window ending there is final.
    this.closeWindow();
    if (!tail || tail.minute !== minute - 1) this.run.length = 0;
    this.run.push({ minute, sum: bpm, n: 1 });
    if (this.run.length > this.windowMinutes) this.run.shift();
    return true;
  }

  /** Resting HR so far: the lowest window mean, counting the (maybe still open) newest window. */
  get restingHr(): number | undefined {
    const open = this.windowMean();
    return open === undefined ? this.best : this.best === undefined ? open : Math.min(this.best, open);
  }

  /** Seconds in zones 0..5 so far (the newest reading holds nothing yet, as in `timeInZones`). */
  get secondsInZones(): readonly number[] {
    return this.zones.secondsInZones;
  }

  private closeWindow(): void {
    const mean = this.windowMean();
    if (mean !== undefined && (this.best === undefined || mean < this.best)) this.best = mean;
  }

  private windowMean(): number | undefined {
    if (this.run.length < this.windowMinutes) return undefined;
    let sum = 0;
    for (const m of this.run) sum += m.sum / m.n;
    return sum / this.windowMinutes;
  }
}
