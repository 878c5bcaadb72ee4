import { StepCounter } from './steps.js';

export type MotionSource = 'accelerometer' | 'devicemotion' | 'none';

/**
 * Steps from the phone's motion sensor: the Generic Sensor `Accelerometer` where the browser
 * has it (and allows it), else `devicemotion` events with `accelerationIncludingGravity`. No
 * sensor, no steps: `source` stays 'none' and the page says so; nothing is made up.
 * Each whole minute's confirmed steps are handed to `onMinute` (an interval reading).
 */
export class Motion {
  readonly counter = new StepCounter();
  source: MotionSource = 'none';
  private minuteStart = 0;
  private sensor: PhAccelerometer | null = null;

  constructor(private readonly onStep: (total: number) => void, private readonly onMinute: (start: Date, end: Date, count: number) => void) {}

  /** Resolves with the source it got; 'none' when the browser gives no readings within `waitMs`. */
  async start(waitMs = 3000): Promise<MotionSource> {
    this.minuteStart = Date.now();
    setInterval(() => this.closeMinute(), 5000);
    const Acc = window.Accelerometer;
    if (Acc) {
      try {
        const s = new Acc({ frequency: 60 });
        const got = new Promise<boolean>((resolve) => {
          s.addEventListener('reading', () => resolve(true), { once: true });
          s.addEventListener('error', () => resolve(false), { once: true });
          setTimeout(() => resolve(false), waitMs);
        });
        s.addEventListener('reading', () => this.sample(performance.timeOrigin + (s.timestamp ?? performance.now()), s.x, s.y, s.z));
        s.start();
        if (await got) {
          this.sensor = s;
          return (this.source = 'accelerometer');
        }
        s.stop();
      } catch {
        // not allowed (permissions policy) or no sensor: try devicemotion
      }
    }
    if ('DeviceMotionEvent' in window) {
      const got = new Promise<boolean>((resolve) => {
        const on = (e: DeviceMotionEvent) => {
          const a = e.accelerationIncludingGravity;
          if (a?.x == null) return;
          resolve(true);
          this.sample(performance.timeOrigin + e.timeStamp, a.x, a.y, a.z);
        };
        addEventListener('devicemotion', on);
        setTimeout(() => resolve(false), waitMs);
      });
      if (await got) return (this.source = 'devicemotion');
    }
    return (this.source = 'none');
  }

  private sample(t: number, x: number | null, y: number | null, z: number | null): void {
    if (x === null || y === null || z === null) return;
    if (this.counter.add(t, x, y, z) > 0) this.onStep(this.counter.count);
  }

  /** Hands over every whole minute since the last one (wall-clock minutes of this phone). */
  private closeMinute(): void {
    const now = Date.now();
    while (now - this.minuteStart >= 60_000) {
      const end = this.minuteStart + 60_000;
      const n = this.counter.countBetween(this.minuteStart, end);
      if (n > 0) this.onMinute(new Date(this.minuteStart), new Date(end), n);
      this.minuteStart = end;
    }
  }

  /** The steps since the last handed-over minute (sent at once, e.g. when the page is hidden). */
  flush(): void {
    const now = Date.now();
    const n = this.counter.countBetween(this.minuteStart, now + 1);
    if (n > 0) this.onMinute(new Date(this.minuteStart), new Date(now), n);
    this.minuteStart = now + 1;
  }
}
