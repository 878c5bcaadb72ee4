import { describe, expect, it } from 'vitest';
import { healthconnectV1 } from '../src/adapters/healthconnect-v1.js';
import { events, reason, vals } from './adapters-harness.js';

// Vectors written from the Android Health Connect reference: record classes with
// metadata.id, time or startTime/endTime, HeartRateRecord.Sample(time, beatsPerMinute),
// Mass/Pressure/Temperature/Length getters, SleepSessionRecord stage constants.
const meta = (id: string) => ({ id, dataOrigin: { packageName: 'com.example.watch' } });

describe('healthconnect.v1', () => {
  it('maps HeartRateRecord samples to one event each, ids from the record id and sample time', () => {
    const out = events(healthconnectV1, { recordType: 'HeartRateRecord', metadata: meta('0f6c1d2e'),
      startTime: '2026-03-02T08:00:00Z', endTime: '2026-03-02T08:01:00Z', startZoneOffset: '+01:00',
      samples: [{ time: '2026-03-02T08:00:00Z', beatsPerMinute: 88 }, { time: '2026-03-02T08:00:30+01:00', beatsPerMinute: 91 }] });
    expect(out.map((e) => [e.id, 'at' in e.time && e.time.at, e.values.bpm!.value])).toEqual([
      ['hc-0f6c1d2e@2026-03-02T08:00:00.000Z', '2026-03-02T08:00:00.000Z', 88],
      ['hc-0f6c1d2e@2026-03-02T07:00:30.000Z', '2026-03-02T07:00:30.000Z', 91],
    ]);
  });

  it('maps steps, distance, weight in pounds, blood pressure and temperature in Fahrenheit', () => {
    const out = events(healthconnectV1, { format: 'healthconnect.v1', records: [
      { recordType: 'StepsRecord', metadata: meta('st1'), startTime: '2026-03-02T08:00:00Z', endTime: '2026-03-02T09:00:00Z', count: 4120 },
      { recordType: 'DistanceRecord', metadata: meta('di1'), startTime: '2026-03-02T08:00:00Z', endTime: '2026-03-02T09:00:00Z', distance: { inKilometers: 3.1 } },
      { recordType: 'WeightRecord', metadata: meta('we1'), time: '2026-03-02T07:00:00Z', zoneOffset: '+01:00', weight: { inPounds: 170 } },
      { recordType: 'BloodPressureRecord', metadata: meta('bp1'), time: '2026-03-02T07:05:00Z', systolic: { inMillimetersOfMercury: 124 }, diastolic: { inMillimetersOfMercury: 82 }, bodyPosition: 2, measurementLocation: 3 },
      { recordType: 'BodyTemperatureRecord', metadata: meta('bt1'), time: '2026-03-02T07:06:00Z', temperature: { inFahrenheit: 98.2 } },
      { recordType: 'OxygenSaturationRecord', metadata: meta('ox1'), time: '2026-03-02T07:07:00Z', percentage: { value: 96 } },
    ] });
    expect(out.map((e) => e.metric)).toEqual(['steps', 'distance', 'body_weight', 'blood_pressure', 'body_temperature', 'spo2']);
    expect(vals(out[0])).toEqual({ count: 4120 });
    expect(out[0]!.id).toBe('hc-st1');
    expect(vals(out[1])).toEqual({ meters: 3100 });
    expect(out[2]!.values.kg!.value).toBeCloseTo(77.1107, 4);     // 170 × 0.45359237
    expect(vals(out[3])).toEqual({ systolic: 124, diastolic: 82 });
    expect(out[4]!.values.celsius!.value).toBeCloseTo(36.7778, 4); // (98.2 − 32) × 5/9
    expect(vals(out[5])).toEqual({ percent: 96 });
  });

  it('sums sleep stages into a sleep session', () => {
    const [e] = events(healthconnectV1, { recordType: 'SleepSessionRecord', metadata: meta('sl1'),
      startTime: '2026-03-01T23:00:00Z', endTime: '2026-03-02T07:00:00Z', stages: [
        { startTime: '2026-03-01T23:00:00Z', endTime: '2026-03-01T23:20:00Z', stage: 1 },  // awake 20
        { startTime: '2026-03-01T23:20:00Z', endTime: '2026-03-02T01:20:00Z', stage: 4 },  // light 120
        { startTime: '2026-03-02T01:20:00Z', endTime: '2026-03-02T02:50:00Z', stage: 5 },  // deep 90
        { startTime: '2026-03-02T02:50:00Z', endTime: '2026-03-02T04:20:00Z', stage: 6 },  // rem 90
        { startTime: '2026-03-02T04:20:00Z', endTime: '2026-03-02T07:00:00Z', stage: 2 },  // sleeping 160
      ] });
    expect(e!.time).toEqual({ start: '2026-03-01T23:00:00.000Z', end: '2026-03-02T07:00:00.000Z' });
    expect(vals(e)).toEqual({ asleep: 460, awake: 20, light: 120, deep: 90, rem: 90 });
  });

  it('counts an unstaged sleep session as asleep throughout; maps an exercise session', () => {
    const out = events(healthconnectV1, { records: [
      { recordType: 'SleepSessionRecord', metadata: meta('sl2'), startTime: '2026-03-02T13:00:00Z', endTime: '2026-03-02T13:40:00Z' },
      { recordType: 'ExerciseSessionRecord', metadata: meta('ex1'), startTime: '2026-03-02T17:00:00Z', endTime: '2026-03-02T17:45:00Z', exerciseType: 56 },
    ] });
    expect(vals(out[0])).toEqual({ asleep: 40 });
    expect(vals(out[1])).toEqual({ sport: 2, duration: 45 });
  });

  it('rejects unknown record types, bad measurement objects and unknown getters', () => {
    expect(reason(healthconnectV1, { recordType: 'HydrationRecord', metadata: meta('h'), startTime: '2026-03-02T08:00:00Z', endTime: '2026-03-02T08:00:00Z' })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(healthconnectV1, { recordType: 'WeightRecord', metadata: meta('w'), time: '2026-03-02T07:00:00Z', weight: { inKilograms: 70, inPounds: 154 } })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(healthconnectV1, { recordType: 'WeightRecord', time: '2026-03-02T07:00:00Z', weight: { inKilograms: 70 } })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(healthconnectV1, { recordType: 'WeightRecord', metadata: meta('w'), time: '2026-03-02T07:00:00Z', weight: { inStones: 11 } })).toBe('PH_INGEST_UNKNOWN_UNIT');
  });

  it('rejects out-of-range readings', () => {
    expect(reason(healthconnectV1, { recordType: 'BloodGlucoseRecord', metadata: meta('g'), time: '2026-03-02T07:00:00Z', level: { inMillimolesPerLiter: 80 } })).toBe('PH_INGEST_OUT_OF_RANGE');
  });
});
