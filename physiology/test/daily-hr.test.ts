import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DailyHeartRate, restingHeartRate, timeInZones } from '../src/index.js';

const t0 = Date.parse('2026-03-02T06:00:00Z');
/**
 * Readings at strictly increasing instants, dense enough to cover 10-minute windows (gaps of
 * 1–90 s, with now and then a long gap that breaks the run of covered minutes).
 */
const series = fc.array(fc.record({ gapS: fc.oneof(fc.integer({ min: 1, max: 90 }), fc.integer({ min: 100, max: 900 })), bpm: fc.integer({ min: 38, max: 200 }) }), { minLength: 0, maxLength: 400 })
  .map((xs) => {
    let t = t0;
    return xs.map(({ gapS, bpm }) => ({ at: (t += gapS * 1000), bpm }));
  });
/** The same with now and then two readings at one instant (two devices of one athlete). */
const withTies = fc.tuple(series, fc.array(fc.nat(), { maxLength: 20 })).map(([xs, picks]) => {
  const out = [...xs];
  for (const p of picks) if (out.length > 0) {
    const i = p % out.length;
    out.splice(i + 1, 0, { at: out[i]!.at, bpm: (out[i]!.bpm + 17) % 200 + 30 });
  }
  return out;
});

describe('DailyHeartRate: a day kept up to date reading by reading', () => {
  it('gives what restingHeartRate and timeInZones give for the whole series, at every prefix', () => {
    fc.assert(fc.property(withTies, fc.integer({ min: 1, max: 12 }), (readings, windowMinutes) => {
      const day = new DailyHeartRate({ maxHr: 182 }, windowMinutes);
      for (let i = 0; i < readings.length; i++) {
        expect(day.add(readings[i]!.at, readings[i]!.bpm)).toBe(true);
        // Checking every prefix is what the refresher relies on: a pass may stop anywhere.
        if (i % 37 === 0 || i === readings.length - 1) {
          const prefix = readings.slice(0, i + 1);
          const want = restingHeartRate(prefix, windowMinutes);
          if (want === undefined) expect(day.restingHr).toBeUndefined();
          else expect(day.restingHr).toBeCloseTo(want, 9);
          expect(day.secondsInZones).toEqual(timeInZones(prefix, 182));
        }
      }
      expect(day.count).toBe(readings.length);
    }), { numRuns: 150 });
  });

  it('refuses a reading before the newest one and changes nothing', () => {
    const day = new DailyHeartRate({ maxHr: 190 });
    for (let i = 0; i < 11 * 60; i += 5) day.add(t0 + i * 1000, 60 + (i % 7));
    const before = { resting: day.restingHr, zones: [...day.secondsInZones], count: day.count };
    expect(before.resting).toBeDefined();
    expect(day.add(day.last! - 1, 40)).toBe(false);
    expect(day.add(t0, 40)).toBe(false);
    expect({ resting: day.restingHr, zones: [...day.secondsInZones], count: day.count }).toEqual(before);
  });

  it('needs windowMinutes consecutive covered minutes: a gap restarts the run', () => {
    const day = new DailyHeartRate({ maxHr: 190 }, 3);
    day.add(t0, 50);
    day.add(t0 + 60_000, 50);
    day.add(t0 + 4 * 60_000, 50); // minute 4: minutes 2 and 3 are missing
    expect(day.restingHr).toBeUndefined();
    day.add(t0 + 5 * 60_000, 60);
    day.add(t0 + 6 * 60_000, 70);
    expect(day.restingHr).toBeCloseTo(60, 9);
  });
});

describe('DailyHeartRate.copy', () => {
  it('continues like the original, and adding to the copy leaves the original as it was', () => {
    fc.assert(fc.property(series, fc.nat(), (readings, cut) => {
      const k = readings.length === 0 ? 0 : cut % (readings.length + 1);
      const a = new DailyHeartRate({ maxHr: 176 });
      for (const r of readings.slice(0, k)) a.add(r.at, r.bpm);
      const frozen = { resting: a.restingHr, zones: [...a.secondsInZones], count: a.count };
      const b = a.copy();
      for (const r of readings.slice(k)) b.add(r.at, r.bpm);
      expect({ resting: a.restingHr, zones: [...a.secondsInZones], count: a.count }).toEqual(frozen);
      const whole = new DailyHeartRate({ maxHr: 176 });
      for (const r of readings) whole.add(r.at, r.bpm);
      expect(b.restingHr).toEqual(whole.restingHr);
      expect(b.secondsInZones).toEqual(whole.secondsInZones);
    }), { numRuns: 100 });
  });
});
