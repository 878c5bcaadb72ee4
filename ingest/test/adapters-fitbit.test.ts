import { describe, expect, it } from 'vitest';
import { fitbitV1 } from '../src/adapters/fitbit-v1.js';
import { stableEventId } from '../src/adapters/event-id.js';
import { CTX, events, reason, vals } from './adapters-harness.js';

// Vectors written from the Fitbit Web API reference for "Get Heart Rate Intraday by Date"
// and "Get Activity Intraday by Date" (activities-heart / activities-heart-intraday with
// dataset [{ time, value }], datasetInterval, datasetType), plus the profile's offsetFromUTCMillis.
const heartDay = {
  offsetFromUTCMillis: 3_600_000, // UTC+1
  'activities-heart': [{ dateTime: '2026-03-02', value: { customHeartRateZones: [], heartRateZones: [{ name: 'Out of Range', min: 30, max: 94, minutes: 1200, caloriesOut: 1500.2 }], restingHeartRate: 58 } }],
  'activities-heart-intraday': { dataset: [{ time: '00:00:00', value: 61 }, { time: '00:01:00', value: 60 }, { time: '13:30:00', value: 118 }], datasetInterval: 1, datasetType: 'minute' },
};
const stepsDay = {
  offsetFromUTCMillis: -18_000_000, // UTC−5
  'activities-steps': [{ dateTime: '2026-03-02', value: '1050' }],
  'activities-steps-intraday': { dataset: [{ time: '07:00:00', value: 0 }, { time: '07:15:00', value: 830 }, { time: '07:30:00', value: 220 }], datasetInterval: 15, datasetType: 'minute' },
};

describe('fitbit.v1', () => {
  it('places intraday heart rate at local date + time − offset', () => {
    const out = events(fitbitV1, { format: 'fitbit.v1', ...heartDay });
    expect(out.map((e) => ['at' in e.time && e.time.at, e.values.bpm!.value])).toEqual([
      ['2026-03-01T23:00:00.000Z', 61], ['2026-03-01T23:01:00.000Z', 60], ['2026-03-02T12:30:00.000Z', 118],
    ]);
    expect(out[0]!.id).toBe(stableEventId(CTX.deviceId, 'heart_rate', '2026-03-01T23:00:00.000Z'));
  });

  it('maps 15-minute step intervals, skipping empty ones', () => {
    const out = events(fitbitV1, stepsDay);
    expect(out.map((e) => [e.time, vals(e)])).toEqual([
      [{ start: '2026-03-02T12:15:00.000Z', end: '2026-03-02T12:30:00.000Z' }, { count: 830 }],
      [{ start: '2026-03-02T12:30:00.000Z', end: '2026-03-02T12:45:00.000Z' }, { count: 220 }],
    ]);
  });

  it('takes both series from one message, ids stable across redelivery', () => {
    const both = { ...heartDay, 'activities-steps': stepsDay['activities-steps'], 'activities-steps-intraday': stepsDay['activities-steps-intraday'] };
    const a = events(fitbitV1, both);
    expect(a).toHaveLength(5);
    expect(a.map((e) => e.id)).toEqual(events(fitbitV1, both).map((e) => e.id));
    expect(new Set(a.map((e) => e.id)).size).toBe(5);
  });

  it('rejects a series without its date or offset, and malformed times', () => {
    const { offsetFromUTCMillis: _o, ...noOffset } = heartDay;
    expect(reason(fitbitV1, noOffset)).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(fitbitV1, { offsetFromUTCMillis: 0, 'activities-heart-intraday': heartDay['activities-heart-intraday'] })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(fitbitV1, { ...heartDay, 'activities-heart-intraday': { dataset: [{ time: '1:00', value: 60 }], datasetInterval: 1, datasetType: 'minute' } })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(fitbitV1, { offsetFromUTCMillis: 0 })).toBe('PH_INGEST_SCHEMA_INVALID');
  });

  it('rejects an impossible heart rate', () => {
    expect(reason(fitbitV1, { ...heartDay, 'activities-heart-intraday': { dataset: [{ time: '10:00:00', value: 300 }], datasetInterval: 1, datasetType: 'minute' } })).toBe('PH_INGEST_OUT_OF_RANGE');
  });
});
