import { describe, expect, it } from 'vitest';
import { stampedEventsTopic } from '@pulsehub/contracts';
import { createAdapterRegistry } from '../src/adapters/registry.js';
import { processMessage } from '../src/pipeline/process.js';

/** One documented payload per vendor adapter, named by `format`, through the real message path. */
const PAYLOADS: Record<string, unknown> = {
  'withings.v1': { grpid: 1, date: 1772438400, category: 1, measures: [{ value: 7210, type: 1, unit: -2 }] },
  'omh.v1': { header: { id: 'p-1', creation_date_time: '2026-03-02T08:00:00Z', schema_id: { namespace: 'omh', name: 'heart-rate', version: '1.0' } },
    body: { heart_rate: { value: 62, unit: 'beats/min' }, effective_time_frame: { date_time: '2026-03-02T08:00:00Z' } } },
  'garmin.v1': { epochs: [{ summaryId: 'e-1', startTimeInSeconds: 1772438400, durationInSeconds: 900, steps: 120 }] },
  'healthkit.v1': { samples: [{ type: 'HKQuantityTypeIdentifierBodyMass', startDate: '2026-03-02T07:00:00Z', value: 160, unit: 'lb' }] },
  'healthconnect.v1': { recordType: 'StepsRecord', metadata: { id: 's-1' }, startTime: '2026-03-02T08:00:00Z', endTime: '2026-03-02T09:00:00Z', count: 500 },
  'fitbit.v1': { offsetFromUTCMillis: 0, 'activities-heart': [{ dateTime: '2026-03-02' }],
    'activities-heart-intraday': { dataset: [{ time: '08:00:00', value: 64 }], datasetInterval: 1, datasetType: 'minute' } },
};

describe('adapter registry', () => {
  const registry = createAdapterRegistry();

  it('registers every vendor adapter by default', () => {
    for (const id of Object.keys(PAYLOADS)) expect(registry.ids()).toContain(id);
  });

  it.each(Object.entries(PAYLOADS))('%s: a payload naming the format is accepted by the ingest path', (format, payload) => {
    const body = Buffer.from(JSON.stringify({ format, ...(payload as object) }));
    const out = processMessage(stampedEventsTopic('ana', 'bridge-1'), body, '2026-03-02T12:00:00.000Z', registry, undefined);
    expect(out.rejection).toBeNull();
    expect(out.events.length).toBeGreaterThan(0);
    for (const e of out.events) expect(e).toMatchObject({ userId: 'ana', deviceId: 'bridge-1', source: { adapter: format } });
  });

  it('dead-letters a vendor payload with a bad unit under its reason code', () => {
    const body = Buffer.from(JSON.stringify({ format: 'healthkit.v1', samples: [{ type: 'HKQuantityTypeIdentifierBodyMass', startDate: '2026-03-02T07:00:00Z', value: 70, unit: 'kilo' }] }));
    const out = processMessage(stampedEventsTopic('ana', 'bridge-1'), body, '2026-03-02T12:00:00.000Z', registry, undefined);
    expect(out.rejection?.reason).toBe('PH_INGEST_UNKNOWN_UNIT');
  });
});
