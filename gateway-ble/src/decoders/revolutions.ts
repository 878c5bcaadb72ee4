/**
 * Speed and cadence from cumulative revolution counters (CSC 0x2A5B, Cycling Power 0x2A63).
 * Neither characteristic sends a rate: they send a running revolution count and the time of
 * the last revolution event, both of which wrap (the uint16 event time every 64 s at
 * 1/1024 s). The rate is Δrevolutions / Δevent-time between two notifications, with both
 * differences taken modulo the field width so a wrap between readings is harmless.
 *
 * Undecidable cases give no value rather than a wrong one:
 *  - first reading (no baseline), or the previous one is older than one event-time period
 *    (the wrap count is unknown);
 *  - revolutions advanced but the event time did not (contradiction);
 *  - a rate above `maxRate` (the sensor was reset or the counter was rewritten).
 * No new event for `stopAfterMs` of receive time means the wheel/crank stopped: rate 0.
 */
export interface RevolutionSample {
  readonly cumulative: number;
  readonly lastEventTime: number;
}

export interface RevolutionRateOptions {
  /** Width of the cumulative counter in bits (32 for CSC wheel, 16 for crank). */
  readonly counterBits: 16 | 32;
  /** Event time ticks per second (1024, or 2048 for the Cycling Power wheel). */
  readonly ticksPerSecond: number;
  /** Largest plausible revolutions per second; above it the reading is treated as a reset. */
  readonly maxRevPerSecond: number;
  readonly stopAfterMs?: number;
}

export class RevolutionRate {
  private prev: (RevolutionSample & { receivedAt: number; eventAt: number }) | undefined;
  private readonly counterMod: number;
  private readonly stopAfterMs: number;

  constructor(private readonly opts: RevolutionRateOptions) {
    this.counterMod = 2 ** opts.counterBits;
    this.stopAfterMs = opts.stopAfterMs ?? 3000;
  }

  /** Revolutions per second, or undefined when it cannot be known from the readings so far. */
  update(sample: RevolutionSample, receivedAt: number): number | undefined {
    const prev = this.prev;
    const periodMs = (65536 / this.opts.ticksPerSecond) * 1000;
    if (prev === undefined || receivedAt - prev.receivedAt >= periodMs) {
      this.prev = { ...sample, receivedAt, eventAt: receivedAt };
      return undefined;
    }
    const dRev = (((sample.cumulative - prev.cumulative) % this.counterMod) + this.counterMod) % this.counterMod;
    const dTicks = (((sample.lastEventTime - prev.lastEventTime) % 65536) + 65536) % 65536;
    if (dTicks === 0) {
      if (dRev !== 0) {
        this.prev = { ...sample, receivedAt, eventAt: receivedAt };
        return undefined;
      }
      // no new revolution event: stopped once the silence outlasts stopAfterMs
      this.prev = { ...prev, receivedAt };
      return receivedAt - prev.eventAt >= this.stopAfterMs ? 0 : undefined;
    }
    this.prev = { ...sample, receivedAt, eventAt: receivedAt };
    const rate = dRev / (dTicks / this.opts.ticksPerSecond);
    return rate > this.opts.maxRevPerSecond ? undefined : rate;
  }

  reset(): void {
    this.prev = undefined;
  }
}

/** 2.105 m: a 700×25C road tyre, the usual default; set `wheelCircumferenceM` per sensor. */
export const DEFAULT_WHEEL_CIRCUMFERENCE_M = 2.105;

/** The wheel and crank fields that CSC and Cycling Power readings share. */
export interface WheelCrankReading {
  wheel?: RevolutionSample;
  crank?: RevolutionSample;
  speedMps?: number;
  cadenceRpm?: number;
}

/**
 * Stateful per sensor: adds speed (m/s, from wheel revolutions and the circumference) and
 * cadence (rpm, from crank revolutions) to successive readings. Crank event times are in
 * 1/1024 s in both profiles; wheel event times are 1/1024 s in CSC but 1/2048 s in Cycling Power.
 */
export class WheelCrankRates<R extends WheelCrankReading> {
  // 40 rev/s × 2.1 m ≈ 300 km/h; 5 rev/s = 300 rpm: beyond either, the counter was reset
  private readonly wheel: RevolutionRate;
  private readonly crank = new RevolutionRate({ counterBits: 16, ticksPerSecond: 1024, maxRevPerSecond: 5 });

  constructor(wheelTicksPerSecond: 1024 | 2048, private readonly wheelCircumferenceM = DEFAULT_WHEEL_CIRCUMFERENCE_M) {
    this.wheel = new RevolutionRate({ counterBits: 32, ticksPerSecond: wheelTicksPerSecond, maxRevPerSecond: 40 });
  }

  apply(reading: R, receivedAt: number): R {
    const out: R = { ...reading };
    if (reading.wheel) {
      const rps = this.wheel.update(reading.wheel, receivedAt);
      if (rps !== undefined) out.speedMps = Math.round(rps * this.wheelCircumferenceM * 1000) / 1000;
    }
    if (reading.crank) {
      const rps = this.crank.update(reading.crank, receivedAt);
      if (rps !== undefined) out.cadenceRpm = Math.round(rps * 60 * 10) / 10;
    }
    return out;
  }

  reset(): void {
    this.wheel.reset();
    this.crank.reset();
  }
}
