import { z } from 'zod';
import { MANUAL_METRICS, PulseHubReading, type CanonicalEvent } from '@pulsehub/contracts';
import { defineAdapter } from './types.js';
import { readingToEvent } from './pulsehub-v1.js';

/**
 * What a person logs by hand (REST `POST /api/users/:id/manual`, or a phone app over MQTT):
 * a pulsehub.v1 reading of one of the manual kinds, stored with source adapter `manual` so it
 * can later be edited or deleted (a device reading cannot). Without an `id`, the id is a hash
 * of the metric, time, values and notes: submitting the same entry twice stores it once, and
 * two different meals logged at the same minute stay two entries.
 */
export const MANUAL_ADAPTER_ID = 'manual';

const ManualReading = PulseHubReading.extend({
  metric: z.enum(MANUAL_METRICS, { error: `a manual entry is one of ${MANUAL_METRICS.join(', ')}` }),
}).strict();

export const ManualPayload = z.union([
  ManualReading.extend({ format: z.literal(MANUAL_ADAPTER_ID) }).strict(),
  z.object({ format: z.literal(MANUAL_ADAPTER_ID), readings: z.array(ManualReading).min(1).max(100) }).strict(),
]);
export type ManualPayload = z.infer<typeof ManualPayload>;

export const manualV1 = defineAdapter({
  id: MANUAL_ADAPTER_ID,
  description: 'Entries logged by hand: pulsehub.v1 readings of the manual kinds (format "manual"), editable and deletable later',
  schema: ManualPayload,
  normalize(input, ctx): CanonicalEvent[] {
    const readings = 'readings' in input ? input.readings : [input];
    return readings.map((r) => readingToEvent(r, ctx, MANUAL_ADAPTER_ID, () => JSON.stringify([r.values, r.notes ?? null, r.laps ?? null])));
  },
});
