import type { BleDateTime } from '../decoders/date-time.js';
import type { MiScaleMeasurement } from '../decoders/mi-scale.js';

/**
 * One weigh-in, one event. A Xiaomi scale advertises continuously while someone stands on
 * it (unstable weights, then the stabilized one, then — body scale — the impedance), and
 * keeps advertising the final frame with the "removed" bit for minutes afterwards. This
 * tracker turns that stream into exactly one reading per weigh-in:
 *
 *  - only stabilized, not-removed frames are candidates;
 *  - a body scale's candidate is published as soon as it carries an impedance, a plain
 *    scale's at once; otherwise at the removal frame or after `settleMs` without one;
 *  - a frame equal (weight and clock) to the last published one is the same weigh-in
 *    re-advertised and is ignored, until an unstable frame shows a new weigh-in began.
 */
export interface WeighIn {
  readonly reading: MiScaleMeasurement['reading'];
  readonly timestamp: BleDateTime;
}

const keyOf = (m: { reading: MiScaleMeasurement['reading']; timestamp: BleDateTime }): string => {
  const kg = m.reading.kind === 'weight' ? m.reading.kg : m.reading.weightKg;
  return JSON.stringify([kg, m.timestamp]);
};

const hasImpedance = (m: WeighIn): boolean => m.reading.kind === 'body_composition' && m.reading.impedanceOhm !== undefined;

export class WeighInTracker {
  private candidate: (WeighIn & { key: string; since: number }) | undefined;
  private lastPublished: string | undefined;

  constructor(
    private readonly waitForImpedance: boolean,
    private readonly settleMs = 8000,
  ) {}

  /** Feeds one advertisement; returns the weigh-in to publish, if this frame completes one. */
  observe(m: MiScaleMeasurement, now: number): WeighIn | undefined {
    if (!m.stabilized) {
      this.lastPublished = undefined;
      return undefined;
    }
    const key = keyOf(m);
    if (m.removed) {
      const c = this.candidate;
      if (c === undefined) return undefined;
      // the removal frame may be the first to carry the impedance of this weigh-in
      const done = c.key === key && hasImpedance(m) && !hasImpedance(c) ? { ...c, reading: m.reading } : c;
      return this.publish(done);
    }
    if (key === this.lastPublished) return undefined;
    if (this.candidate === undefined || this.candidate.key !== key || (hasImpedance(m) && !hasImpedance(this.candidate))) {
      this.candidate = { reading: m.reading, timestamp: m.timestamp, key, since: this.candidate?.key === key ? this.candidate.since : now };
    }
    if (!this.waitForImpedance || hasImpedance(this.candidate)) return this.publish(this.candidate);
    return undefined;
  }

  /** Publishes a candidate that has waited `settleMs` for its impedance or removal. */
  tick(now: number): WeighIn | undefined {
    const c = this.candidate;
    return c !== undefined && now - c.since >= this.settleMs ? this.publish(c) : undefined;
  }

  private publish(c: WeighIn & { key: string }): WeighIn {
    this.candidate = undefined;
    this.lastPublished = c.key;
    return { reading: c.reading, timestamp: c.timestamp };
  }
}
