import { describe, expect, it } from 'vitest';
import { healthkitV1 } from '../src/adapters/healthkit-v1.js';
import { stableEventId } from '../src/adapters/event-id.js';
import { CTX, events, reason, vals } from './adapters-harness.js';

// Vectors written from Apple's HealthKit documentation (HKQuantityTypeIdentifier names,
// HKUnit strings, percentages as fractions) and the Health app's export.xml Record
// attributes (type, unit, value as text, startDate "yyyy-MM-dd HH:mm:ss Z").
const T = 'HKQuantityTypeIdentifier';

describe('healthkit.v1', () => {
  it('maps heart rate, steps and distance with their HKUnits', () => {
    const out = events(healthkitV1, { format: 'healthkit.v1', samples: [
      { uuid: '6E1B8F7C-2C0B-4D8E-9C55-0F2D3B4A5C61', type: `${T}HeartRate`, startDate: '2026-03-02T08:00:00Z', endDate: '2026-03-02T08:00:00Z', value: 64, unit: 'count/min' },
      { uuid: 'B1D0E6A2-93F4-4F11-8C3A-7D6E5F4A3B21', type: `${T}StepCount`, startDate: '2026-03-02T08:00:00Z', endDate: '2026-03-02T08:10:00Z', value: 812, unit: 'count' },
      { type: `${T}DistanceWalkingRunning`, startDate: '2026-03-02 09:00:00 +0100', endDate: '2026-03-02 09:10:00 +0100', value: '0.41', unit: 'mi', sourceName: 'iPhone' },
    ] });
    expect(out[0]).toMatchObject({ id: '6E1B8F7C-2C0B-4D8E-9C55-0F2D3B4A5C61', metric: 'heart_rate', time: { at: '2026-03-02T08:00:00.000Z' } });
    expect(vals(out[1])).toEqual({ count: 812 });
    expect(out[1]!.time).toEqual({ start: '2026-03-02T08:00:00.000Z', end: '2026-03-02T08:10:00.000Z' });
    expect(out[2]!.time).toEqual({ start: '2026-03-02T08:00:00.000Z', end: '2026-03-02T08:10:00.000Z' });
    expect(out[2]!.values.meters!.value).toBeCloseTo(659.83104, 4); // 0.41 × 1609.344
    expect(out[2]!.id).toBe(stableEventId(CTX.deviceId, 'distance', '2026-03-02T08:00:00.000Z/2026-03-02T08:10:00.000Z', `${T}DistanceWalkingRunning`));
  });

  it('converts pounds and Fahrenheit, and fractions given as %', () => {
    const out = events(healthkitV1, { samples: [
      { type: `${T}BodyMass`, startDate: '2026-03-02T07:00:00Z', value: 154.3, unit: 'lb' },
      { type: `${T}BodyTemperature`, startDate: '2026-03-02T07:01:00Z', value: 99.1, unit: 'degF' },
      { type: `${T}OxygenSaturation`, startDate: '2026-03-02T07:02:00Z', value: 0.97, unit: '%' },
      { type: `${T}BodyFatPercentage`, startDate: '2026-03-02T07:00:00Z', value: 0.214, unit: '%' },
      { type: `${T}BodyMassIndex`, startDate: '2026-03-02T07:00:00Z', value: 22.4, unit: 'count' },
      { type: `${T}BloodGlucose`, startDate: '2026-03-02T07:03:00Z', value: 5.4, unit: 'mmol<180.15588000005408>/L' },
    ] });
    expect(out.map((e) => e.metric)).toEqual(['body_weight', 'body_temperature', 'spo2', 'body_composition', 'bmi', 'blood_glucose']);
    expect(out[0]!.values.kg!.value).toBeCloseTo(69.9893, 4);        // 154.3 × 0.45359237
    expect(out[1]!.values.celsius!.value).toBeCloseTo(37.2778, 4);   // (99.1 − 32) × 5/9
    expect(out[2]!.values.percent).toEqual({ value: 97, unit: '%' });
    expect(out[3]!.values.fat_percent!.value).toBeCloseTo(21.4, 9);
    expect(vals(out[4])).toEqual({ bmi: 22.4 });
    expect(out[5]!.values.glucose!.value).toBeCloseTo(97.284, 3);    // 5.4 × 18.0156
  });

  it('joins the systolic and diastolic samples of one blood-pressure correlation', () => {
    const out = events(healthkitV1, { samples: [
      { uuid: 'S1', type: `${T}BloodPressureSystolic`, startDate: '2026-03-02T07:10:00Z', value: 118, unit: 'mmHg', sourceName: 'Omron' },
      { uuid: 'D1', type: `${T}BloodPressureDiastolic`, startDate: '2026-03-02T07:10:00Z', value: 76, unit: 'mmHg', sourceName: 'Omron' },
    ] });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ id: 'S1+D1', metric: 'blood_pressure' });
    expect(vals(out[0])).toEqual({ systolic: 118, diastolic: 76 });
  });

  it('maps cycling and running sensor samples', () => {
    const out = events(healthkitV1, { samples: [
      { type: `${T}CyclingPower`, startDate: '2026-03-02T10:00:00Z', endDate: '2026-03-02T10:00:01Z', value: 212, unit: 'W' },
      { type: `${T}RunningSpeed`, startDate: '2026-03-02T11:00:00Z', value: 12.6, unit: 'km/hr' },
    ] });
    expect(vals(out[0])).toEqual({ power: 212 });
    expect(out[1]!.values.speed!.value).toBeCloseTo(3.5, 9);
  });

  it('skips types it has no metric for', () => {
    expect(events(healthkitV1, { samples: [{ type: `${T}FlightsClimbed`, startDate: '2026-03-02T07:00:00Z', value: 3, unit: 'count' }] })).toEqual([]);
  });

  it('rejects a lone systolic sample, bad dates and unknown units', () => {
    expect(reason(healthkitV1, { samples: [{ type: `${T}BloodPressureSystolic`, startDate: '2026-03-02T07:10:00Z', value: 118, unit: 'mmHg' }] })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(healthkitV1, { samples: [{ type: `${T}HeartRate`, startDate: 'yesterday', value: 60, unit: 'count/min' }] })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(healthkitV1, { samples: [] })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(healthkitV1, { samples: [{ type: `${T}BodyMass`, startDate: '2026-03-02T07:00:00Z', value: 70, unit: 'kilogram' }] })).toBe('PH_INGEST_UNKNOWN_UNIT');
  });

  it('rejects out-of-range values, e.g. a percentage sent as 97 instead of 0.97', () => {
    expect(reason(healthkitV1, { samples: [{ type: `${T}OxygenSaturation`, startDate: '2026-03-02T07:02:00Z', value: 97, unit: '%' }] })).toBe('PH_INGEST_OUT_OF_RANGE');
  });
});
