import { describe, expect, it } from 'vitest';
import { withingsV1, scaled } from '../src/adapters/withings-v1.js';
import { events, reason, vals } from './adapters-harness.js';

// Vectors written from the Withings API reference for measure/getmeas: measuregrps with
// grpid, attrib, date (epoch s), category (1 = real measure, 2 = objective) and measures of
// { value, type, unit } meaning value × 10^unit.
const scale = {
  grpid: 2909, attrib: 0, date: 1772438400, created: 1772438460, category: 1, deviceid: 'a1b2c3',
  measures: [
    { value: 72345, type: 1, unit: -3 },   // weight 72.345 kg
    { value: 2150, type: 6, unit: -2 },    // fat ratio 21.50 %
    { value: 15554, type: 8, unit: -3 },   // fat mass 15.554 kg
    { value: 5679, type: 5, unit: -2 },    // fat free mass 56.79 kg
    { value: 5432, type: 76, unit: -2 },   // muscle mass 54.32 kg
    { value: 4011, type: 77, unit: -2 },   // hydration 40.11 kg
    { value: 287, type: 88, unit: -2 },    // bone mass 2.87 kg
    { value: 12, type: 91, unit: -1 },     // pulse wave velocity: no metric, skipped
  ],
};
const cuff = { grpid: 3001, attrib: 0, date: 1772442000, category: 1, measures: [
  { value: 128, type: 10, unit: 0 }, { value: 84, type: 9, unit: 0 }, { value: 66, type: 11, unit: 0 },
] };

describe('withings.v1', () => {
  it('scales value × 10^unit exactly', () => {
    expect(scaled(72345, -3)).toBe(72.345);
    expect(scaled(15, 2)).toBe(1500);
    expect(scaled(98, 0)).toBe(98);
  });

  it('maps a scale group to body weight and body composition', () => {
    const out = events(withingsV1, scale);
    expect(out.map((e) => e.metric).sort()).toEqual(['body_composition', 'body_weight']);
    const w = out.find((e) => e.metric === 'body_weight')!;
    expect(w.id).toBe('withings-2909-body_weight');
    expect(w.time).toEqual({ at: '2026-03-02T08:00:00.000Z' });
    expect(w.values.kg).toEqual({ value: 72.345, unit: 'kg' });
    expect(vals(out.find((e) => e.metric === 'body_composition'))).toEqual({
      fat_percent: 21.5, fat_mass: 15.554, fat_free_mass: 56.79, muscle_mass: 54.32, water_mass: 40.11, bone_mass: 2.87,
    });
    expect(w.source.adapter).toBe('withings.v1');
  });

  it('maps a blood-pressure group with its pulse, in mm[Hg]', () => {
    const [bp, ...rest] = events(withingsV1, { format: 'withings.v1', ...cuff });
    expect(rest).toEqual([]);
    expect(bp!.metric).toBe('blood_pressure');
    expect(vals(bp)).toEqual({ systolic: 128, diastolic: 84, pulse: 66 });
    expect(bp!.values.systolic!.unit).toBe('mm[Hg]');
  });

  it('reads a getmeas body with several groups; a lone pulse is a heart rate; SpO2 and temperature', () => {
    const out = events(withingsV1, { updatetime: 1772450000, timezone: 'Europe/Paris', measuregrps: [
      cuff,
      { grpid: 3002, date: 1772445600, category: 1, measures: [{ value: 61, type: 11, unit: 0 }] },
      { grpid: 3003, date: 1772445600, category: 1, measures: [{ value: 97, type: 54, unit: 0 }, { value: 3685, type: 71, unit: -2 }] },
    ] });
    expect(out.map((e) => `${e.metric}:${JSON.stringify(vals(e))}`)).toEqual([
      'blood_pressure:{"systolic":128,"diastolic":84,"pulse":66}',
      'heart_rate:{"bpm":61}',
      'spo2:{"percent":97}',
      'body_temperature:{"celsius":36.85}',
    ]);
  });

  it('skips objectives (category 2) and a height without a weight', () => {
    expect(events(withingsV1, { ...scale, category: 2 })).toEqual([]);
    expect(events(withingsV1, { grpid: 1, date: 1772438400, category: 1, measures: [{ value: 178, type: 4, unit: -2 }] })).toEqual([]);
  });

  it('gives the same ids on redelivery', () => {
    expect(events(withingsV1, scale).map((e) => e.id)).toEqual(events(withingsV1, scale).map((e) => e.id));
  });

  it('rejects malformed groups as schema errors', () => {
    expect(reason(withingsV1, { grpid: 1, date: 'yesterday', category: 1, measures: [] })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(withingsV1, { grpid: 1, date: 1772438400, category: 1, measures: [{ value: 72.5, type: 1, unit: 0 }] })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(withingsV1, { format: 'fitbit.v1', ...cuff })).toBe('PH_INGEST_SCHEMA_INVALID');
  });

  it('rejects values outside the physiological range (a unit exponent off by one)', () => {
    expect(reason(withingsV1, { grpid: 9, date: 1772438400, category: 1, measures: [{ value: 72345, type: 1, unit: -2 }] })).toBe('PH_INGEST_OUT_OF_RANGE');
    expect(reason(withingsV1, { ...cuff, measures: [{ value: 420, type: 10, unit: 0 }, { value: 84, type: 9, unit: 0 }] })).toBe('PH_INGEST_OUT_OF_RANGE');
  });
});
