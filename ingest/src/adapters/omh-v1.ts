import { z } from 'zod';
import { PulseHubError, WORKOUT_SPORTS, sportCode, type CanonicalEvent, type EventTime, type MetricId, type WorkoutSport } from '@pulsehub/contracts';
import { defineAdapter, type AdapterContext } from './types.js';
import { buildEvent, fromEpochMs, toUtc, type ValueInput } from './util.js';

/**
 * Open mHealth data points: `{ header, body }`, the schema named by `header.schema_id`
 * (`omh:heart-rate:1.x` ...). One data point per message, or `{ data_points: [...] }`.
 * Units are OMH's own spellings (`beats/min`, `C`, `F`, `sec`, `lb`), mapped to UCUM here.
 */
const UnitValue = z.object({ value: z.number().finite(), unit: z.string().min(1) });
const Duration = UnitValue;
const TimeFrame = z.union([
  z.object({ date_time: z.iso.datetime({ offset: true }) }),
  z.object({
    time_interval: z.object({
      start_date_time: z.iso.datetime({ offset: true }).optional(),
      end_date_time: z.iso.datetime({ offset: true }).optional(),
      duration: Duration.optional(),
    }),
  }),
]);
const Header = z.object({
  id: z.string().min(1).max(100),
  creation_date_time: z.iso.datetime({ offset: true }),
  schema_id: z.object({ namespace: z.string(), name: z.string().min(1), version: z.string() }),
});
const DataPoint = z.object({ header: Header, body: z.record(z.string(), z.unknown()) });
const Format = z.literal('omh.v1').optional();
export const OmhPayload = z.union([
  DataPoint.extend({ format: Format }),
  z.object({ format: Format, data_points: z.array(DataPoint).min(1).max(1000) }),
]);
type DataPoint = z.infer<typeof DataPoint>;

/** OMH unit spellings that are not UCUM codes. */
const OMH_UNITS: Readonly<Record<string, string>> = { 'beats/min': '/min', C: 'Cel', F: '[degF]', sec: 's', 'kg/m^2': 'kg/m2', steps: '{steps}' };
const ucum = (u: string): string => OMH_UNITS[u] ?? u;

/** schema name → metric and (body property → component). A bare number is in the component's canonical unit. */
const SCHEMAS: Readonly<Record<string, readonly [MetricId, Readonly<Record<string, string>>]>> = {
  'heart-rate': ['heart_rate', { heart_rate: 'bpm' }],
  'step-count': ['steps', { step_count: 'count' }],
  'body-weight': ['body_weight', { body_weight: 'kg' }],
  'body-mass-index': ['bmi', { body_mass_index: 'bmi' }],
  'body-fat-percentage': ['body_composition', { body_fat_percentage: 'fat_percent' }],
  'blood-pressure': ['blood_pressure', { systolic_blood_pressure: 'systolic', diastolic_blood_pressure: 'diastolic' }],
  'oxygen-saturation': ['spo2', { oxygen_saturation: 'percent' }],
  'body-temperature': ['body_temperature', { body_temperature: 'celsius' }],
  'blood-glucose': ['blood_glucose', { blood_glucose: 'glucose' }],
  'calories-burned': ['active_energy', { kcal_burned: 'kcal' }],
  'sleep-duration': ['sleep', { sleep_duration: 'asleep' }],
  'physical-activity': ['workout', { kcal_burned: 'energy', distance: 'distance' }],
};

function durationMs(d: { value: number; unit: string }): number {
  const perUnit: Record<string, number> = { ms: 1, sec: 1000, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
  const f = perUnit[d.unit];
  if (f === undefined) throw new PulseHubError('PH_INGEST_UNKNOWN_UNIT', `duration unit "${d.unit}" (use ms, sec, min, h or d)`);
  return d.value * f;
}

function timeFrame(tf: z.infer<typeof TimeFrame>): EventTime {
  if ('date_time' in tf) return { at: toUtc(tf.date_time) };
  const { start_date_time: s, end_date_time: e, duration: d } = tf.time_interval;
  if (s !== undefined && e !== undefined) return { start: toUtc(s), end: toUtc(e) };
  if (s !== undefined && d !== undefined) return { start: toUtc(s), end: fromEpochMs(Date.parse(s) + durationMs(d)) };
  if (e !== undefined && d !== undefined) return { start: fromEpochMs(Date.parse(e) - durationMs(d)), end: toUtc(e) };
  throw new PulseHubError('PH_INGEST_SCHEMA_INVALID', 'time_interval needs two of start_date_time, end_date_time, duration');
}

const SPORT_NAMES = new Set<string>(WORKOUT_SPORTS);

function dataPointToEvent(dp: DataPoint, ctx: AdapterContext): CanonicalEvent {
  const name = dp.header.schema_id.name;
  const mapping = SCHEMAS[name];
  if (!mapping) throw new PulseHubError('PH_INGEST_SCHEMA_INVALID', `unsupported Open mHealth schema "${name}" (supported: ${Object.keys(SCHEMAS).join(', ')})`);
  const [metric, props] = mapping;
  const tf = TimeFrame.safeParse(dp.body.effective_time_frame);
  if (!tf.success) throw new PulseHubError('PH_INGEST_SCHEMA_INVALID', `${name}: body.effective_time_frame needs date_time or time_interval`);
  let time = timeFrame(tf.data);
  // Instant metrics measured over an interval (an average heart rate) are filed at its end.
  if (metric !== 'steps' && metric !== 'active_energy' && metric !== 'sleep' && metric !== 'workout' && 'end' in time) time = { at: time.end };
  const values: ValueInput[] = [];
  for (const [prop, component] of Object.entries(props)) {
    const raw = dp.body[prop];
    if (raw === undefined) continue;
    if (typeof raw === 'number') values.push([component, raw]);
    else {
      const uv = UnitValue.safeParse(raw);
      if (!uv.success) throw new PulseHubError('PH_INGEST_SCHEMA_INVALID', `${name}: body.${prop} must be a number or { value, unit }`);
      values.push([component, uv.data.value, ucum(uv.data.unit)]);
    }
  }
  if (metric === 'workout' && 'end' in time) {
    const activity = typeof dp.body.activity_name === 'string' ? dp.body.activity_name.toLowerCase().replace(/\s+/g, '_') : 'other';
    values.push(['sport', sportCode((SPORT_NAMES.has(activity) ? activity : 'other') as WorkoutSport)]);
    values.push(['duration', (Date.parse(time.end) - Date.parse(time.start)) / 60_000]);
  }
  return buildEvent('omh.v1', ctx, { id: dp.header.id, metric, time, values });
}

export const omhV1 = defineAdapter({
  id: 'omh.v1',
  description: 'Open mHealth data points ({ header, body }) for heart rate, steps, weight, BP, SpO2, temperature, glucose, sleep, activity',
  schema: OmhPayload,
  normalize(input, ctx) {
    const points = 'data_points' in input ? input.data_points : [input];
    return points.map((dp) => dataPointToEvent(dp, ctx));
  },
});
