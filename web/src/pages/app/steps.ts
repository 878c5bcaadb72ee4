/**
 * A step counter for the phone's accelerometer: pure (samples in, steps out), so it is
 * tested on a trace without a browser.
 *
 * How it counts:
 * 1. Magnitude. |a| of the acceleration *including* gravity (what `Accelerometer` and
 *    `DeviceMotionEvent.accelerationIncludingGravity` give), so the phone's orientation does
 *    not matter.
 * 2. Smoothing. A one-pole low-pass (time constant `smoothMs`) removes hand tremor and sensor
 *    noise; a slow one (`baselineMs`) tracks gravity, and the signal is their difference.
 *    Both use each sample's own time step, so an uneven sample rate (a busy phone) is fine.
 * 3. Peaks with hysteresis. A peak starts when the signal rises above `+threshold` and ends when
 *    it falls below `-threshold / 2`; its moment is the maximum in between. The threshold
 *    adapts: a fraction (`adaptive`) of the recent peak height, never below `minThreshold`
 *    (m/s²), so a gentle walk and a run both count while a phone lying still counts nothing.
 * 4. Cadence window. A peak is a step only if it comes `minStepMs`..`maxStepMs` after the
 *    previous one (30..200 steps/min per foot-fall gap). Steps are held back until
 *    `regulationSteps` have come in a row with such gaps (the "regulation mode" of pedometers):
 *    then the held ones count at once. A longer gap ends the run and starts a new window, so
 *    picking the phone up or setting it down (one or two bumps) is never counted.
 */
export interface StepCounterOptions {
  readonly smoothMs: number;
  readonly baselineMs: number;
  readonly minThreshold: number;
  readonly adaptive: number;
  readonly minStepMs: number;
  readonly maxStepMs: number;
  readonly regulationSteps: number;
}

export const STEP_DEFAULTS: StepCounterOptions = Object.freeze({
  smoothMs: 60,
  baselineMs: 1500,
  minThreshold: 0.6,
  adaptive: 0.35,
  minStepMs: 250,
  maxStepMs: 2000,
  regulationSteps: 4,
});

export class StepCounter {
  private readonly o: StepCounterOptions;
  private lastT: number | null = null;
  private smooth = 0;
  private baseline = 0;
  private inPeak = false;
  private peakValue = 0;
  private peakT = 0;
  private peakHeight = 0;
  private lastStepT: number | null = null;
  private run = 0;
  private pending: number[] = [];
  /** Step times (ms), confirmed by the cadence window. */
  readonly steps: number[] = [];

  constructor(options: Partial<StepCounterOptions> = {}) {
    this.o = Object.freeze({ ...STEP_DEFAULTS, ...options });
  }

  get count(): number {
    return this.steps.length;
  }

  /** One sample: time in ms and acceleration including gravity in m/s². Returns steps confirmed by it. */
  add(t: number, x: number, y: number, z: number): number {
    const mag = Math.hypot(x, y, z);
    if (!Number.isFinite(mag)) return 0;
    if (this.lastT === null) {
      this.lastT = t;
      this.smooth = this.baseline = mag;
      return 0;
    }
    const dt = t - this.lastT;
    if (dt <= 0) return 0;
    this.lastT = t;
    this.smooth += (mag - this.smooth) * (1 - Math.exp(-dt / this.o.smoothMs));
    this.baseline += (mag - this.baseline) * (1 - Math.exp(-dt / this.o.baselineMs));
    const s = this.smooth - this.baseline;
    const threshold = Math.max(this.o.minThreshold, this.o.adaptive * this.peakHeight);
    if (!this.inPeak) {
      if (s > threshold) {
        this.inPeak = true;
        this.peakValue = s;
        this.peakT = t;
      }
      return 0;
    }
    if (s > this.peakValue) {
      this.peakValue = s;
      this.peakT = t;
    }
    if (s >= -threshold / 2) return 0;
    this.inPeak = false;
    // The adaptive height follows the peaks seen, halfway each time.
    this.peakHeight = this.peakHeight === 0 ? this.peakValue : (this.peakHeight + this.peakValue) / 2;
    return this.peak(this.peakT);
  }

  private peak(t: number): number {
    const gap = this.lastStepT === null ? Infinity : t - this.lastStepT;
    if (gap < this.o.minStepMs) return 0; // a bounce within one step
    this.lastStepT = t;
    if (gap > this.o.maxStepMs) {
      this.run = 1;
      this.pending = [t];
      return 0;
    }
    this.run++;
    if (this.run < this.o.regulationSteps) {
      this.pending.push(t);
      return 0;
    }
    const confirmed = [...this.pending, t];
    this.pending = [];
    this.steps.push(...confirmed);
    return confirmed.length;
  }

  /** Confirmed steps with `from <= t < to` (ms): one minute's interval count. */
  countBetween(from: number, to: number): number {
    let n = 0;
    for (const t of this.steps) if (t >= from && t < to) n++;
    return n;
  }
}

/** A synthetic walking trace: `steps` foot-falls at `cadence` steps/min, sampled at `hz`, with noise. */
export function walkingTrace(o: { steps: number; cadence: number; hz: number; amplitude?: number; noise?: number; seed?: number; leadMs?: number }): { t: number; x: number; y: number; z: number }[] {
  const amplitude = o.amplitude ?? 2.5;
  const noise = o.noise ?? 0.3;
  const period = 60_000 / o.cadence;
  const lead = o.leadMs ?? 1000;
  const total = lead * 2 + o.steps * period;
  let seed = o.seed ?? 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const out: { t: number; x: number; y: number; z: number }[] = [];
  for (let t = 0; t <= total; t += 1000 / o.hz) {
    const w = t - lead;
    // One bump per step (heel strike), only while walking; the phone held tilted.
    const bump = w >= 0 && w < o.steps * period ? amplitude * Math.sin((Math.PI * (w % period)) / period) ** 2 * 2 - amplitude : 0;
    const g = 9.81 + bump + noise * rand();
    out.push({ t: Math.round(t), x: 0.3 * g + noise * rand(), y: 0.2 * g, z: 0.93 * g });
  }
  return out;
}
