import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { effortPoints, keytelKcal, keytelKcalPerMinute, MAX_GAP_SECONDS, timeInZones, ZoneAccumulator, zoneOf } from '../src/index.js';

const t0 = Date.parse('2026-03-02T10:00:00Z');
/** Readings at strictly increasing instants (gaps 1 s .. 3 min, some beyond the 60 s hold). */
const series = fc.array(fc.record({ gapS: fc.integer({ min: 1, max: 180 }), bpm: fc.integer({ min: 40, max: 210 }) }), { minLength: 0, maxLength: 40 })
  .map((xs) => {
    let t = t0;
    return xs.map(({ gapS, bpm }) => ({ at: (t += gapS * 1000), bpm }));
  });

describe('ZoneAccumulator: the one hold rule, live and in batch', () => {
  it('adds up to what timeInZones and keytelKcal give for the same series', () => {
    const energy = { sex: 'female', age: 41, weightKg: 63 } as const;
    fc.assert(fc.property(series, (readings) => {
      const acc = new ZoneAccumulator({ maxHr: 185, energy });
      for (const r of readings) acc.add(r.at, r.bpm);
      expect(acc.secondsInZones).toEqual(timeInZones(readings, 185));
      expect(acc.kcal).toBeCloseTo(keytelKcal(readings, energy), 9);
      expect(acc.effortPoints()).toBe(effortPoints(acc.secondsInZones));
    }));
  });

  it('caps a reading at MAX_GAP_SECONDS, refuses an older one, and counts nothing for the newest until the next arrives', () => {
    const acc = new ZoneAccumulator({ maxHr: 200 });
    acc.add(t0, 150); // 75 %: zone 3
    acc.add(t0 + 600_000, 185); // 10 min later: only 60 s count for the 150
    expect(acc.secondsInZones).toEqual([0, 0, 0, MAX_GAP_SECONDS, 0, 0]);
    expect(acc.add(t0 + 1000, 120)).toBe(false);
    expect(acc.last).toEqual({ t: t0 + 600_000, bpm: 185 });
    acc.holdLast();
    expect(acc.secondsInZones).toEqual([0, 0, 0, 60, 0, 60]);
  });

  it('uses the floors it is given (a class may choose its own)', () => {
    const floors = [0.55, 0.65, 0.75, 0.85, 0.95];
    expect(zoneOf(120, 200)).toBe(2); // 60 %: zone 2 by the default floors
    expect(zoneOf(120, 200, floors)).toBe(1);
    const acc = new ZoneAccumulator({ maxHr: 200, floors });
    acc.add(t0, 120);
    acc.add(t0 + 30_000, 120);
    expect(acc.secondsInZones).toEqual([0, 30, 0, 0, 0, 0]);
    expect(timeInZones([{ at: t0, bpm: 120 }, { at: t0 + 30_000, bpm: 120 }], 200, { floors })).toEqual(acc.secondsInZones);
  });
});

describe('Keytel without a stored sex', () => {
  it('is the mean of the male and female equations', () => {
    const p = { age: 30, weightKg: 70 };
    const male = keytelKcalPerMinute(150, { ...p, sex: 'male' });
    const female = keytelKcalPerMinute(150, { ...p, sex: 'female' });
    expect(male).not.toBeCloseTo(female, 1);
    expect(keytelKcalPerMinute(150, { ...p, sex: 'unspecified' })).toBeCloseTo((male + female) / 2, 12);
  });
});
