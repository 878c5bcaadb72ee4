import { describe, expect, it } from 'vitest';
import { WeighInTracker } from '../src/runtime/weigh-in.js';
import type { MiScaleMeasurement } from '../src/decoders/mi-scale.js';

const ts = { year: 2026, month: 3, day: 2, hours: 7, minutes: 0, seconds: 0 };
const frame = (kg: number, o: { stabilized?: boolean; removed?: boolean; impedance?: number; minutes?: number } = {}): MiScaleMeasurement => ({
  stabilized: o.stabilized ?? true,
  removed: o.removed ?? false,
  timestamp: { ...ts, minutes: o.minutes ?? 0 },
  reading: { kind: 'body_composition', weightKg: kg, displayUnit: 'kg', ...(o.impedance ? { impedanceOhm: o.impedance } : {}) },
});

describe('WeighInTracker', () => {
  it('a plain scale publishes the first stabilized frame, once', () => {
    const t = new WeighInTracker(false);
    expect(t.observe(frame(70, { stabilized: false }), 0)).toBeUndefined();
    expect(t.observe(frame(70), 100)?.reading).toMatchObject({ weightKg: 70 });
    expect(t.observe(frame(70), 200)).toBeUndefined();
    expect(t.observe(frame(70, { removed: true }), 300)).toBeUndefined();
  });

  it('a body scale without impedance publishes after settleMs (tick)', () => {
    const t = new WeighInTracker(true, 1000);
    expect(t.observe(frame(70), 0)).toBeUndefined();
    expect(t.tick(999)).toBeUndefined();
    expect(t.tick(1000)?.reading).toMatchObject({ weightKg: 70 });
    expect(t.tick(5000)).toBeUndefined();
    expect(t.observe(frame(70), 5100)).toBeUndefined(); // re-advertised
  });

  it('the same weight in a new weigh-in (unstable frames in between) is a new reading', () => {
    const t = new WeighInTracker(false);
    expect(t.observe(frame(70), 0)).toBeDefined();
    t.observe(frame(40, { stabilized: false }), 10);
    expect(t.observe(frame(70), 20)).toBeDefined();
  });

  it('a new stabilized weight replaces an unpublished candidate; a different clock is a different weigh-in', () => {
    const t = new WeighInTracker(true, 1000);
    t.observe(frame(70), 0);
    t.observe(frame(70.5), 10);
    expect(t.observe(frame(70.5, { removed: true, impedance: 500 }), 20)?.reading).toMatchObject({ weightKg: 70.5, impedanceOhm: 500 });
    expect(t.observe(frame(70.5, { minutes: 5, impedance: 500 }), 30)).toBeDefined();
  });
});
