import { describe, expect, it } from 'vitest';
import { pulsehubV1 } from '../src/adapters/pulsehub-v1.js';
import { events, reason } from './adapters-harness.js';

describe('pulsehub.v1 unit conversion', () => {
  it('converts {value, unit} in a non-canonical unit to the canonical one', () => {
    const [e] = events(pulsehubV1, { metric: 'body_weight', at: '2026-03-02T07:00:00Z', values: { kg: { value: 165, unit: 'lb' } } });
    expect(e!.values.kg!.unit).toBe('kg');
    expect(e!.values.kg!.value).toBeCloseTo(74.8427, 4);
  });

  it('converts °F, kPa and mmol/L', () => {
    const out = events(pulsehubV1, { readings: [
      { metric: 'body_temperature', at: '2026-03-02T07:00:00Z', values: { celsius: { value: 99.5, unit: '[degF]' } } },
      { metric: 'blood_pressure', at: '2026-03-02T07:01:00Z', values: { systolic: { value: 16, unit: 'kPa' }, diastolic: 80 } },
      { metric: 'blood_glucose', at: '2026-03-02T07:02:00Z', values: { glucose: { value: 5, unit: 'mmol/L' } } },
    ] });
    expect(out[0]!.values.celsius!.value).toBeCloseTo(37.5, 6);
    expect(out[1]!.values.systolic).toEqual({ value: expect.closeTo(120.0099, 3), unit: 'mm[Hg]' });
    expect(out[1]!.values.diastolic).toEqual({ value: 80, unit: 'mm[Hg]' });
    expect(out[2]!.values.glucose!.value).toBeCloseTo(90.078, 3);
  });

  it('keeps canonical {value, unit} as sent', () => {
    const [e] = events(pulsehubV1, { metric: 'heart_rate', at: '2026-03-02T07:00:00Z', values: { bpm: { value: 70, unit: '/min' } } });
    expect(e!.values.bpm).toEqual({ value: 70, unit: '/min' });
  });

  it('rejects an unknown unit with PH_INGEST_UNKNOWN_UNIT', () => {
    expect(reason(pulsehubV1, { metric: 'body_weight', at: '2026-03-02T07:00:00Z', values: { kg: { value: 11, unit: 'stone-ish' } } })).toBe('PH_INGEST_UNKNOWN_UNIT');
  });

  it('rejects a converted value outside the range', () => {
    expect(reason(pulsehubV1, { metric: 'body_temperature', at: '2026-03-02T07:00:00Z', values: { celsius: { value: 150, unit: '[degF]' } } })).toBe('PH_INGEST_OUT_OF_RANGE');
  });
});

// The phone app's sessions (issue 18): mindfulness and timer_session, lap durations as a named series.
describe('pulsehub.v1 sessions from the phone app', () => {
  const span = { start: '2026-03-02T07:00:00Z', end: '2026-03-02T07:05:00Z' };
  it('stores a mindfulness session with its mood check-ins', () => {
    const [e] = events(pulsehubV1, { metric: 'mindfulness', ...span, values: { duration: 5, kind: 0, mood_before: 2, mood_after: 4 } });
    expect(e!.values).toEqual({ duration: { value: 5, unit: 'min' }, kind: { value: 0, unit: '{mindfulness}' }, mood_before: { value: 2, unit: '{score}' }, mood_after: { value: 4, unit: '{score}' } });
  });

  it('carries timer laps as series.laps in seconds', () => {
    const [e] = events(pulsehubV1, { metric: 'timer_session', ...span, values: { duration: 300, laps: 2, mode: 0 }, series: { laps: [120.5, 179.5] } });
    expect(e!.series).toEqual({ laps: { unit: 's', values: [120.5, 179.5] } });
  });

  it('refuses a mood outside 1..5 and an unknown series', () => {
    expect(reason(pulsehubV1, { metric: 'mindfulness', ...span, values: { duration: 5, kind: 1, mood_after: 6 } })).toBe('PH_INGEST_OUT_OF_RANGE');
    expect(reason(pulsehubV1, { metric: 'timer_session', ...span, values: { duration: 5, mode: 1 }, series: { splits: [1] } })).toBe('PH_INGEST_SCHEMA_INVALID');
  });
});
