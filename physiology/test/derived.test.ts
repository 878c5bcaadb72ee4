import { describe, expect, it } from 'vitest';
import {
  effortPoints, keytelKcal, keytelKcalPerMinute, maxHeartRate, metFromCadence, restingHeartRate,
  stepLength, stepsToDistance, stepsToEnergy, timeInZones, zoneBounds, zoneOf,
} from '../src/index.js';

const t0 = Date.parse('2026-03-02T10:00:00Z');
const at = (s: number) => t0 + s * 1000;

describe('steps → distance', () => {
  it('uses 0.415 × height, or a measured stride', () => {
    expect(stepLength({ heightM: 1.8 })).toBeCloseTo(0.747, 9);
    expect(stepsToDistance(10_000, { heightM: 1.8 })).toBeCloseTo(7470, 6);
    expect(stepsToDistance(10_000, { heightM: 1.6 })).toBeCloseTo(6640, 6);
    expect(stepsToDistance(4000, { strideM: 1.1 })).toBeCloseTo(4400, 6);
  });
  it('refuses nonsense inputs', () => {
    expect(() => stepsToDistance(-5, { heightM: 1.8 })).toThrow(RangeError);
    expect(() => stepsToDistance(5, { heightM: 0 })).toThrow(RangeError);
  });
});

describe('steps → energy (MET from cadence)', () => {
  it.each([
    [40, 2.0], [60, 2.0], [80, 2.5], [100, 3.0], [115, 4.5], [130, 6.0], [155, 8.5], [180, 11.0], [220, 11.0],
  ])('%d steps/min → %d METs', (cadence, met) => {
    expect(metFromCadence(cadence)).toBeCloseTo(met, 9);
  });
  it('gives gross and active kcal from MET × kg × h', () => {
    // 3000 steps in 30 min = 100 steps/min = 3 METs; 70 kg × 0.5 h → 105 kcal gross, 70 active
    const e = stepsToEnergy(3000, 30, 70);
    expect(e.cadence).toBe(100);
    expect(e.grossKcal).toBeCloseTo(105, 9);
    expect(e.activeKcal).toBeCloseTo(70, 9);
    // 3600 steps in 30 min = 120 steps/min = 5 METs; 80 kg × 0.5 h → 200 gross, 160 active
    expect(stepsToEnergy(3600, 30, 80).activeKcal).toBeCloseTo(160, 9);
  });
});

describe('max heart rate and zones', () => {
  it('prefers a measured max, else the configured formula', () => {
    expect(maxHeartRate({ maxHr: 193, age: 40 })).toBe(193);
    expect(maxHeartRate({ age: 40 })).toBeCloseTo(180, 9);                        // 208 − 28
    expect(maxHeartRate({ age: 30, formula: 'fox' })).toBe(190);
    expect(maxHeartRate({ age: 40, formula: 'gulati' })).toBeCloseTo(170.8, 9);   // 206 − 35.2
    expect(() => maxHeartRate({})).toThrow(RangeError);
  });
  it('puts a bound in the zone above it', () => {
    expect(zoneOf(89, 180)).toBe(0);   // 49.4 %
    expect(zoneOf(90, 180)).toBe(1);   // 50 %
    expect(zoneOf(125, 180)).toBe(2);  // 69.4 %
    expect(zoneOf(150, 190)).toBe(3);  // 78.9 %
    expect(zoneOf(162, 180)).toBe(5);  // 90 %
    expect(zoneOf(200, 180)).toBe(5);
    expect(zoneBounds(200)[1]).toEqual({ zone: 2, minBpm: 120, maxBpm: 140 });
  });
  it('sums time in zones, capping gaps', () => {
    const readings = [
      { at: at(0), bpm: 100 },   // zone 1 for 10 s
      { at: at(10), bpm: 130 },  // zone 3 for 20 s   (130/180 = 72 %)
      { at: at(30), bpm: 150 },  // zone 4 for 60 s (gap of 300 s capped at 60)
      { at: at(330), bpm: 170 }, // zone 5, last: 0 s
    ];
    expect(timeInZones(readings, 180)).toEqual([0, 10, 0, 20, 60, 0]);
    expect(timeInZones([...readings].reverse(), 180, { maxGapSeconds: 120, holdLast: true })).toEqual([0, 10, 0, 20, 120, 120]);
    expect(timeInZones([{ at: '2026-03-02T10:00:00Z', bpm: 100 }, { at: '2026-03-02T10:00:05Z', bpm: 100 }], 180)).toEqual([0, 5, 0, 0, 0, 0]);
  });
  it('scores effort points per minute by zone', () => {
    // 10 min z1, 20 min z2, 15 min z3, 6 min z4, 3 min z5 → 10 + 40 + 45 + 24 + 12 = 131
    expect(effortPoints([600, 600, 1200, 900, 360, 180])).toBe(131);
    expect(effortPoints([0, 30, 0, 0, 0, 0])).toBeCloseTo(0.5, 9);
  });
});

describe('resting heart rate', () => {
  it('is the lowest 10-minute mean of per-minute averages over consecutive covered minutes', () => {
    const readings: { at: number; bpm: number }[] = [];
    // 60 minutes at 70 bpm with two readings a minute, minutes 20..29 at 54 and 56 (mean 55)
    for (let m = 0; m < 60; m++) {
      const low = m >= 20 && m < 30;
      readings.push({ at: at(m * 60), bpm: low ? 54 : 70 }, { at: at(m * 60 + 30), bpm: low ? 56 : 70 });
    }
    // a lone dropout reading of 30 bpm in an otherwise empty stretch must not count
    readings.push({ at: at(200 * 60), bpm: 30 });
    expect(restingHeartRate(readings)).toBeCloseTo(55, 9);
    expect(restingHeartRate(readings, 5)).toBeCloseTo(55, 9);
  });
  it('needs a fully covered window', () => {
    const sparse = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20].map((m) => ({ at: at(m * 60), bpm: 60 }));
    expect(restingHeartRate(sparse)).toBeUndefined();
    expect(restingHeartRate(sparse, 1)).toBe(60);
  });
});

describe('Keytel calories from heart rate', () => {
  it('matches the published equations (kJ/min ÷ 4.184)', () => {
    // male: −55.0969 + 0.6309×150 + 0.1988×80 + 0.2017×35 = 62.5016 kJ/min → 14.9382 kcal/min
    expect(keytelKcalPerMinute(150, { sex: 'male', weightKg: 80, age: 35 })).toBeCloseTo(14.9382, 4);
    // female: −20.4022 + 0.4472×150 − 0.1263×60 + 0.074×30 = 41.3198 kJ/min → 9.8757 kcal/min
    expect(keytelKcalPerMinute(150, { sex: 'female', weightKg: 60, age: 30 })).toBeCloseTo(9.8757, 4);
    expect(keytelKcalPerMinute(40, { sex: 'male', weightKg: 60, age: 20 })).toBe(0);
  });
  it('integrates over a series', () => {
    const p = { sex: 'male' as const, weightKg: 80, age: 35 };
    // 2 minutes at 150 bpm (readings each 60 s, last contributes nothing)
    expect(keytelKcal([{ at: at(0), bpm: 150 }, { at: at(60), bpm: 150 }, { at: at(120), bpm: 150 }], p)).toBeCloseTo(2 * 14.9382, 3);
  });
});
