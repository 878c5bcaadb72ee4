/**
 * One valid payload per registered adapter (from the adapters' own test vectors): the fuzz
 * mutates these, so hostile values reach normalize() and the database, not only the schema.
 */
const T = 'HKQuantityTypeIdentifier';
export const SEEDS: Record<string, unknown> = {
  'pulsehub.v1': { format: 'pulsehub.v1', id: 'fz-1', metric: 'heart_rate', at: '2026-03-02T08:00:00Z', values: { bpm: 72 }, rr: [812, 830] },
  manual: { format: 'manual', id: 'fz-m1', metric: 'food', at: '2026-03-02T08:00:00Z', values: { energy: 420, water: 250 }, notes: { description: 'oats', meal: 'breakfast' } },
  'withings.v1': { grpid: 3001, attrib: 0, date: 1772442000, category: 1, measures: [{ value: 128, type: 10, unit: 0 }, { value: 84, type: 9, unit: 0 }, { value: 72345, type: 1, unit: -3 }] },
  'omh.v1': { header: { id: 'omh-1', creation_date_time: '2026-03-02T07:30:00Z', schema_id: { namespace: 'omh', name: 'heart-rate', version: '1.0' } },
    body: { heart_rate: { value: 50, unit: 'beats/min' }, effective_time_frame: { date_time: '2026-03-02T07:25:00-08:00' } } },
  'garmin.v1': { epochs: [{ userId: 'g1', summaryId: 'x153a9f3-69a3d700-6', activityType: 'WALKING', activeKilocalories: 24, steps: 93, distanceInMeters: 49.11,
    durationInSeconds: 900, activeTimeInSeconds: 449, startTimeInSeconds: 1772438400, startTimeOffsetInSeconds: 3600 }] },
  'healthkit.v1': { format: 'healthkit.v1', samples: [
    { uuid: '6E1B8F7C-2C0B-4D8E-9C55-0F2D3B4A5C61', type: `${T}HeartRate`, startDate: '2026-03-02T08:00:00Z', endDate: '2026-03-02T08:00:00Z', value: 64, unit: 'count/min' },
    { type: `${T}DistanceWalkingRunning`, startDate: '2026-03-02 09:00:00 +0100', endDate: '2026-03-02 09:10:00 +0100', value: '0.41', unit: 'mi' }] },
  'healthconnect.v1': { recordType: 'HeartRateRecord', metadata: { id: '0f6c1d2e', dataOrigin: { packageName: 'com.example.watch' } },
    startTime: '2026-03-02T08:00:00Z', endTime: '2026-03-02T08:01:00Z', startZoneOffset: '+01:00', samples: [{ time: '2026-03-02T08:00:00Z', beatsPerMinute: 88 }] },
  'fitbit.v1': { format: 'fitbit.v1', offsetFromUTCMillis: 3_600_000,
    'activities-heart': [{ dateTime: '2026-03-02', value: { customHeartRateZones: [], heartRateZones: [{ name: 'Out of Range', min: 30, max: 94, minutes: 1200, caloriesOut: 1500.2 }], restingHeartRate: 58 } }],
    'activities-heart-intraday': { dataset: [{ time: '00:00:00', value: 61 }, { time: '13:30:00', value: 118 }], datasetInterval: 1, datasetType: 'minute' } },
  'ble.v1': { format: 'ble.v1', id: 'ble-0123456789abcdef0123456789abcdef', gatewayId: 'fz-gw', deviceId: 'hrm-1', address: 'c0:ff:ee:00:00:01', source: '2a37', seq: 0,
    measuredAt: '2026-03-02T11:59:58.000Z', receivedAt: '2026-03-02T11:59:58.000Z', clockUnset: false, reading: { kind: 'heart_rate', bpm: 72, sensorContact: 'detected', energyExpendedKj: 12, rrMs: [812.5, 830.078] } },
};
