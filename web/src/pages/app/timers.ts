/**
 * A stopwatch with laps, and an interval timer of `rounds` × (`work` s then `rest` s). Both are
 * driven by the clock, not by counting ticks, so a throttled background tab stays right.
 */
export class Stopwatch {
  startedAt: number | null = null;
  private lastLap = 0;
  readonly laps: number[] = [];

  start(now = Date.now()): void {
    this.startedAt = now;
    this.lastLap = now;
    this.laps.length = 0;
  }

  lap(now = Date.now()): number {
    const s = (now - this.lastLap) / 1000;
    this.laps.push(Math.round(s * 100) / 100);
    this.lastLap = now;
    return s;
  }

  elapsed(now = Date.now()): number {
    return this.startedAt === null ? 0 : (now - this.startedAt) / 1000;
  }

  /** Stops; the time since the last lap is the last lap. */
  stop(now = Date.now()): { start: Date; end: Date; seconds: number; laps: number[] } | null {
    if (this.startedAt === null) return null;
    if (now > this.lastLap) this.lap(now);
    const r = { start: new Date(this.startedAt), end: new Date(now), seconds: this.elapsed(now), laps: [...this.laps] };
    this.startedAt = null;
    return r;
  }
}
