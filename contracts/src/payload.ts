import { z } from 'zod';
import { DeviceId, UserId } from './ids.js';
import { EventNotes } from './event.js';

/**
 * PulseHub's own device JSON format (adapter id `pulsehub.v1`), published to
 * `users/<userId>/events`. One reading per message, or `readings` for several.
 *
 *   { "format": "pulsehub.v1", "id": "w1-000042", "metric": "heart_rate",
 *     "at": "2026-11-22T10:00:00Z", "values": { "bpm": 72 }, "rr": [812, 830] }
 *
 * `values` may be given as plain numbers in the canonical unit, or as `{value, unit}`;
 * `at` defaults to the receive time; `id` defaults to a stable hash of device, metric
 * and time.
 */
const ValueInput = z.union([z.number().finite(), z.object({ value: z.number().finite(), unit: z.string().min(1) })]);
export const PulseHubReading = z
  .object({
    id: z.string().min(1).max(128).optional(),
    metric: z.string().min(1).max(64),
    at: z.iso.datetime({ offset: true }).optional(),
    start: z.iso.datetime({ offset: true }).optional(),
    end: z.iso.datetime({ offset: true }).optional(),
    values: z.record(z.string(), ValueInput),
    rr: z.array(z.number().finite()).max(4096).optional(),
    /** Other sample series of the metric (e.g. `timer_session` lap durations), in the unit the catalog gives. */
    series: z.record(z.string().min(1).max(64), z.array(z.number().finite()).max(4096)).optional(),
    /** Lap durations of a `timer_session`, seconds. */
    laps: z.array(z.number().finite()).max(4096).optional(),
    /** Text of a `food` reading: what it was, and which meal. */
    notes: EventNotes.optional(),
    userId: UserId.optional(),
    deviceId: DeviceId.optional(),
  })
  .strict();
export type PulseHubReading = z.infer<typeof PulseHubReading>;

export const PulseHubPayload = z.union([
  PulseHubReading.extend({ format: z.literal('pulsehub.v1').optional() }).strict(),
  z.object({ format: z.literal('pulsehub.v1').optional(), readings: z.array(PulseHubReading).min(1).max(1000) }).strict(),
]);
export type PulseHubPayload = z.infer<typeof PulseHubPayload>;
