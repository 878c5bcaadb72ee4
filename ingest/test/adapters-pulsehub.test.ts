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
