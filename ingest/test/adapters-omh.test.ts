import { describe, expect, it } from 'vitest';
import { omhV1 } from '../src/adapters/omh-v1.js';
import { events, reason, vals } from './adapters-harness.js';

// Vectors written from the Open mHealth schema documentation (omh:heart-rate, step-count,
// body-weight, blood-pressure, body-temperature, blood-glucose, sleep-duration,
// physical-activity): a header with id, creation_date_time, schema_id; a body with the
// measure as { value, unit } and an effective_time_frame.
const header = (id: string, name: string) => ({
  id, creation_date_time: '2026-03-02T07:30:00Z', schema_id: { namespace: 'omh', name, version: '1.0' },
  acquisition_provenance: { source_name: 'RunKeeper', modality: 'sensed' },
});

describe('omh.v1', () => {
  it('maps a heart-rate data point; the header id is the event id', () => {
    const [e] = events(omhV1, { header: header('123e4567-e89b-12d3-a456-426655440000', 'heart-rate'), body: {
      heart_rate: { value: 50, unit: 'beats/min' }, effective_time_frame: { date_time: '2026-03-02T07:25:00-08:00' },
      descriptive_statistic: 'average', temporal_relationship_to_physical_activity: 'at rest',
    } });
    expect(e).toMatchObject({ id: '123e4567-e89b-12d3-a456-426655440000', metric: 'heart_rate', time: { at: '2026-03-02T15:25:00.000Z' } });
    expect(e!.values.bpm).toEqual({ value: 50, unit: '/min' });
  });

  it('maps a step count over an interval given by start and duration', () => {
    const [e] = events(omhV1, { header: header('s-1', 'step-count'), body: {
      step_count: 7939, effective_time_frame: { time_interval: { start_date_time: '2026-03-01T00:00:00Z', duration: { value: 1, unit: 'd' } } },
    } });
    expect(e!.time).toEqual({ start: '2026-03-01T00:00:00.000Z', end: '2026-03-02T00:00:00.000Z' });
    expect(vals(e)).toEqual({ count: 7939 });
  });

  it('converts pounds, Fahrenheit and mmol/L', () => {
    const out = events(omhV1, { data_points: [
      { header: header('w-1', 'body-weight'), body: { body_weight: { value: 180, unit: 'lb' }, effective_time_frame: { date_time: '2026-03-02T06:00:00Z' } } },
      { header: header('t-1', 'body-temperature'), body: { body_temperature: { value: 98.6, unit: 'F' }, effective_time_frame: { date_time: '2026-03-02T06:01:00Z' } } },
      { header: header('g-1', 'blood-glucose'), body: { blood_glucose: { value: 6.1, unit: 'mmol/L' }, effective_time_frame: { date_time: '2026-03-02T06:02:00Z' } } },
    ] });
    expect(out[0]!.values.kg!.value).toBeCloseTo(81.6466, 4);   // 180 × 0.45359237
    expect(out[1]!.values.celsius!.value).toBeCloseTo(37, 6);
    expect(out[2]!.values.glucose!.value).toBeCloseTo(109.895, 3); // 6.1 × 18.0156
  });

  it('maps a blood-pressure data point to one event with both components', () => {
    const [e] = events(omhV1, { header: header('bp-1', 'blood-pressure'), body: {
      systolic_blood_pressure: { value: 160, unit: 'mmHg' }, diastolic_blood_pressure: { value: 60, unit: 'mmHg' },
      effective_time_frame: { date_time: '2026-03-02T07:25:00Z' }, position_during_measurement: 'sitting',
    } });
    expect(vals(e)).toEqual({ systolic: 160, diastolic: 60 });
    expect(e!.values.diastolic!.unit).toBe('mm[Hg]');
  });

  it('maps sleep duration and a physical activity to interval events', () => {
    const [sleep, run] = events(omhV1, { data_points: [
      { header: header('sl-1', 'sleep-duration'), body: { sleep_duration: { value: 7.25, unit: 'h' },
        effective_time_frame: { time_interval: { start_date_time: '2026-03-01T22:30:00Z', end_date_time: '2026-03-02T06:15:00Z' } } } },
      { header: header('pa-1', 'physical-activity'), body: { activity_name: 'Running', distance: { value: 5.2, unit: 'km' },
        kcal_burned: { value: 410, unit: 'kcal' },
        effective_time_frame: { time_interval: { start_date_time: '2026-03-02T06:30:00Z', end_date_time: '2026-03-02T07:00:00Z' } } } },
    ] });
    expect(vals(sleep)).toEqual({ asleep: 435 });
    expect(vals(run)).toEqual({ distance: 5200, energy: 410, sport: 2, duration: 30 });
  });

  it('rejects unsupported schemas, missing time frames and unknown units', () => {
    const body = { effective_time_frame: { date_time: '2026-03-02T07:25:00Z' } };
    expect(reason(omhV1, { header: header('x', 'respiratory-rate'), body: { ...body, respiratory_rate: { value: 12, unit: 'breaths/min' } } })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(omhV1, { header: header('x', 'body-height'), body: { ...body, body_height: { value: 180, unit: 'cm' } } })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(omhV1, { header: header('x', 'heart-rate'), body: { heart_rate: { value: 60, unit: 'beats/min' } } })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(omhV1, { header: { id: 'x' }, body })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(omhV1, { header: header('x', 'body-weight'), body: { ...body, body_weight: { value: 80, unit: 'kilo' } } })).toBe('PH_INGEST_UNKNOWN_UNIT');
  });

  it('rejects out-of-range values', () => {
    const body = { effective_time_frame: { date_time: '2026-03-02T07:25:00Z' } };
    expect(reason(omhV1, { header: header('x', 'heart-rate'), body: { ...body, heart_rate: { value: 400, unit: 'beats/min' } } })).toBe('PH_INGEST_OUT_OF_RANGE');
    expect(reason(omhV1, { header: header('x', 'oxygen-saturation'), body: { ...body, oxygen_saturation: { value: 130, unit: '%' } } })).toBe('PH_INGEST_OUT_OF_RANGE');
  });
});
