import { z } from 'zod';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { defineAdapter, type AdapterContext } from './types.js';
import { buildEvent, fromEpochSeconds } from './util.js';

/**
 * Garmin-style Health API push notifications: `{ dailies: [...] }` (one summary per day,
 * with `timeOffsetHeartRateSamples`: seconds after `startTimeInSeconds` → bpm) and
 * `{ epochs: [...] }` (15-minute activity slices). Times are epoch seconds in UTC;
 * `startTimeOffsetInSeconds` only says what the local clock read and is not needed here.
 *
 * Dailies give steps, distance, active energy for the day and one heart-rate event per
 * sample; epochs give steps, distance and active energy per slice. Ids derive from the
 * vendor's `summaryId`, so an updated summary re-sent by Garmin keeps its ids.
 */
const Base = {
  summaryId: z.string().min(1).max(80),
  startTimeInSeconds: z.number().int().positive(),
  startTimeOffsetInSeconds: z.number().int().optional(),
  durationInSeconds: z.number().int().positive().max(172_800),
  steps: z.number().int().nonnegative().optional(),
  distanceInMeters: z.number().nonnegative().optional(),
  activeKilocalories: z.number().nonnegative().optional(),
};
const Daily = z.object({
  ...Base,
  calendarDate: z.iso.date().optional(),
  restingHeartRateInBeatsPerMinute: z.number().optional(),
  timeOffsetHeartRateSamples: z.record(z.string().regex(/^\d+$/, { error: 'heart-rate sample keys are offsets in seconds' }), z.number()).optional(),
});
const Epoch = z.object({ ...Base, activityType: z.string().optional(), intensity: z.string().optional(), met: z.number().optional() });
export const GarminPayload = z
  .object({ format: z.literal('garmin.v1').optional(), dailies: z.array(Daily).max(100).optional(), epochs: z.array(Epoch).max(2000).optional() })
  .refine((p) => (p.dailies?.length ?? 0) + (p.epochs?.length ?? 0) > 0, { error: 'give dailies or epochs' });

function totals(kind: string, s: z.infer<typeof Epoch> | z.infer<typeof Daily>, ctx: AdapterContext): CanonicalEvent[] {
  const time = { start: fromEpochSeconds(s.startTimeInSeconds), end: fromEpochSeconds(s.startTimeInSeconds + s.durationInSeconds) };
  const id = (metric: string): string => `garmin-${kind}-${s.summaryId}-${metric}`;
  const out: CanonicalEvent[] = [];
  if (s.steps !== undefined) out.push(buildEvent('garmin.v1', ctx, { id: id('steps'), metric: 'steps', time, values: [['count', s.steps]] }));
  if (s.distanceInMeters !== undefined) out.push(buildEvent('garmin.v1', ctx, { id: id('distance'), metric: 'distance', time, values: [['meters', s.distanceInMeters]] }));
  if (s.activeKilocalories !== undefined) out.push(buildEvent('garmin.v1', ctx, { id: id('active_energy'), metric: 'active_energy', time, values: [['kcal', s.activeKilocalories]] }));
  return out;
}

function daily(d: z.infer<typeof Daily>, ctx: AdapterContext): CanonicalEvent[] {
  const samples = Object.entries(d.timeOffsetHeartRateSamples ?? {})
    .map(([offset, bpm]) => [Number(offset), bpm] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([offset, bpm]) =>
      buildEvent('garmin.v1', ctx, {
        id: `garmin-daily-${d.summaryId}-hr-${offset}`,
        metric: 'heart_rate',
        time: { at: fromEpochSeconds(d.startTimeInSeconds + offset) },
        values: [['bpm', bpm]],
      }),
    );
  return [...totals('daily', d, ctx), ...samples];
}

export const garminV1 = defineAdapter({
  id: 'garmin.v1',
  description: 'Garmin-style Health API dailies (with timeOffsetHeartRateSamples) and 15-minute epochs',
  schema: GarminPayload,
  normalize(input, ctx) {
    return [...(input.dailies ?? []).flatMap((d) => daily(d, ctx)), ...(input.epochs ?? []).flatMap((e) => totals('epoch', e, ctx))];
  },
});
