import { z } from 'zod';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { defineAdapter, type AdapterContext } from './types.js';
import { buildEvent, fromEpochMs } from './util.js';

/**
 * Fitbit-style Web API intraday responses (`activities/heart/date/<d>/1d/1sec|1min` and
 * `activities/steps/date/<d>/1d/1min|5min|15min`). The dataset's `time` is the user's local
 * wall clock on the date in `activities-heart[0].dateTime` / `activities-steps[0].dateTime`,
 * so the bridge adds `offsetFromUTCMillis` from the user's Fitbit profile (required here;
 * one fixed offset per message, so a day crossing a DST change must be split by the bridge).
 *
 * Heart rate: one instant event per point. Steps: one interval event per point of
 * `datasetInterval` minutes; zero-step intervals are not stored. Fitbit gives no sample ids,
 * so ids are a stable hash of device, metric and time.
 */
const Point = z.object({ time: z.string().regex(/^\d{2}:\d{2}:\d{2}$/, { error: 'time is HH:MM:SS' }), value: z.number().nonnegative() });
const Intraday = z.object({ dataset: z.array(Point).max(86_400), datasetInterval: z.number().int().positive(), datasetType: z.enum(['second', 'minute']) });
const Day = z.object({ dateTime: z.iso.date() });
export const FitbitPayload = z
  .object({
    format: z.literal('fitbit.v1').optional(),
    offsetFromUTCMillis: z.number().int().min(-14 * 3_600_000).max(14 * 3_600_000),
    'activities-heart': z.array(Day.extend({ value: z.unknown().optional() })).length(1).optional(),
    'activities-heart-intraday': Intraday.optional(),
    'activities-steps': z.array(Day.extend({ value: z.union([z.string(), z.number()]).optional() })).length(1).optional(),
    'activities-steps-intraday': Intraday.optional(),
  })
  .refine((p) => (p['activities-heart-intraday'] === undefined) === (p['activities-heart'] === undefined), { error: 'activities-heart-intraday needs activities-heart (its date)' })
  .refine((p) => (p['activities-steps-intraday'] === undefined) === (p['activities-steps'] === undefined), { error: 'activities-steps-intraday needs activities-steps (its date)' })
  .refine((p) => p['activities-heart-intraday'] !== undefined || p['activities-steps-intraday'] !== undefined, { error: 'give a heart-rate or steps intraday series' });
type FitbitPayload = z.infer<typeof FitbitPayload>;

/** Local date + wall-clock time at a fixed UTC offset → epoch ms. */
const localToMs = (date: string, time: string, offsetMs: number): number => Date.parse(`${date}T${time}Z`) - offsetMs;

function heart(p: FitbitPayload, ctx: AdapterContext): CanonicalEvent[] {
  const date = p['activities-heart']?.[0]?.dateTime;
  const series = p['activities-heart-intraday'];
  if (date === undefined || series === undefined) return [];
  return series.dataset.map((pt) =>
    buildEvent('fitbit.v1', ctx, { metric: 'heart_rate', time: { at: fromEpochMs(localToMs(date, pt.time, p.offsetFromUTCMillis)) }, values: [['bpm', pt.value]] }),
  );
}

function steps(p: FitbitPayload, ctx: AdapterContext): CanonicalEvent[] {
  const date = p['activities-steps']?.[0]?.dateTime;
  const series = p['activities-steps-intraday'];
  if (date === undefined || series === undefined) return [];
  const stepMs = series.datasetInterval * (series.datasetType === 'minute' ? 60_000 : 1000);
  return series.dataset
    .filter((pt) => pt.value > 0)
    .map((pt) => {
      const start = localToMs(date, pt.time, p.offsetFromUTCMillis);
      const time = { start: fromEpochMs(start), end: fromEpochMs(start + stepMs) };
      return buildEvent('fitbit.v1', ctx, { metric: 'steps', time, values: [['count', pt.value]] });
    });
}

export const fitbitV1 = defineAdapter({
  id: 'fitbit.v1',
  description: 'Fitbit-style intraday heart-rate and steps series with their date and the user\'s UTC offset',
  schema: FitbitPayload,
  normalize: (input, ctx) => [...heart(input, ctx), ...steps(input, ctx)],
});
