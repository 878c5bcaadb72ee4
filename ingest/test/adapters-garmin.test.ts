import { describe, expect, it } from 'vitest';
import { garminV1 } from '../src/adapters/garmin-v1.js';
import { events, reason, vals } from './adapters-harness.js';

// Vectors written from the Garmin Health API documentation for daily summaries and epoch
// summaries (push notifications of { dailies: [...] } and { epochs: [...] }).
const daily = {
  userId: '4aacafe82427c251df9c9592d0c06768', userAccessToken: '8f57a6f1-26ba-4b2a-9c4c-2e7b1e7d6a11',
  summaryId: 'x153a9f3-69a1e2a0-15180', calendarDate: '2026-03-01', activityType: 'WALKING',
  startTimeInSeconds: 1772323200, startTimeOffsetInSeconds: 3600, durationInSeconds: 86400,
  steps: 8412, distanceInMeters: 6210.5, activeTimeInSeconds: 4820, activeKilocalories: 402, bmrKilocalories: 1690,
  minHeartRateInBeatsPerMinute: 52, averageHeartRateInBeatsPerMinute: 71, maxHeartRateInBeatsPerMinute: 148,
  restingHeartRateInBeatsPerMinute: 55, averageStressLevel: 32,
  timeOffsetHeartRateSamples: { '15': 74, '30': 72, '3600': 58 },
};
const epoch = {
  userId: '4aacafe82427c251df9c9592d0c06768', summaryId: 'x153a9f3-69a3d700-6', activityType: 'WALKING',
  activeKilocalories: 24, steps: 93, distanceInMeters: 49.11, durationInSeconds: 900, activeTimeInSeconds: 449,
  startTimeInSeconds: 1772438400, startTimeOffsetInSeconds: 3600, met: 3.35, intensity: 'ACTIVE', meanMotionIntensity: 4, maxMotionIntensity: 7,
};

describe('garmin.v1', () => {
  it('maps a daily summary to day totals and one heart-rate event per sample', () => {
    const out = events(garminV1, { dailies: [daily] });
    expect(out.map((e) => e.metric)).toEqual(['steps', 'distance', 'active_energy', 'heart_rate', 'heart_rate', 'heart_rate']);
    expect(out[0]!.time).toEqual({ start: '2026-03-01T00:00:00.000Z', end: '2026-03-02T00:00:00.000Z' });
    expect(vals(out[0])).toEqual({ count: 8412 });
    expect(vals(out[1])).toEqual({ meters: 6210.5 });
    expect(out.slice(3).map((e) => [('at' in e.time ? e.time.at : ''), e.values.bpm!.value])).toEqual([
      ['2026-03-01T00:00:15.000Z', 74], ['2026-03-01T00:00:30.000Z', 72], ['2026-03-01T01:00:00.000Z', 58],
    ]);
    expect(out[3]!.id).toBe('garmin-daily-x153a9f3-69a1e2a0-15180-hr-15');
  });

  it('maps an epoch to a 15-minute slice', () => {
    const out = events(garminV1, { format: 'garmin.v1', epochs: [epoch] });
    expect(out.map((e) => [e.metric, vals(e)])).toEqual([
      ['steps', { count: 93 }], ['distance', { meters: 49.11 }], ['active_energy', { kcal: 24 }],
    ]);
    expect(out[0]!.time).toEqual({ start: '2026-03-02T08:00:00.000Z', end: '2026-03-02T08:15:00.000Z' });
    expect(out[0]!.id).toBe('garmin-epoch-x153a9f3-69a3d700-6-steps');
  });

  it('rejects empty and malformed notifications', () => {
    expect(reason(garminV1, {})).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(garminV1, { dailies: [{ ...daily, startTimeInSeconds: '2026-03-01' }] })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(garminV1, { dailies: [{ ...daily, timeOffsetHeartRateSamples: { noon: 70 } }] })).toBe('PH_INGEST_SCHEMA_INVALID');
  });

  it('rejects an impossible heart-rate sample', () => {
    expect(reason(garminV1, { dailies: [{ ...daily, timeOffsetHeartRateSamples: { '15': 320 } }] })).toBe('PH_INGEST_OUT_OF_RANGE');
  });
});
