import { z } from 'zod';
import { PulseHubError, sportCode, type CanonicalEvent, type MetricId, type WorkoutSport } from '@pulsehub/contracts';
import { defineAdapter, type AdapterContext } from './types.js';
import { buildEvent, toUtc, type ValueInput } from './util.js';

/**
 * Android Health Connect records serialized as JSON: `{ recordType, metadata: { id }, ... }`,
 * one record or `{ records: [...] }`. Field names follow the Jetpack record classes
 * (`HeartRateRecord.samples[].beatsPerMinute`, `WeightRecord.weight`, ...); a measurement
 * object carries one of its class's getters (`{ inKilograms }`, `{ inPounds }`,
 * `{ inMillimetersOfMercury }`, `{ inFahrenheit }`...), converted here to canonical units.
 */
const iso = z.iso.datetime({ offset: true });
const Metadata = z.object({ id: z.string().min(1).max(100), dataOrigin: z.object({ packageName: z.string() }).optional() });
/** A measurement object: exactly one known getter. */
const Measure = z.record(z.string(), z.number().finite()).refine((m) => Object.keys(m).length === 1, { error: 'a measurement has exactly one unit field, e.g. { "inKilograms": 72.5 }' });

const GETTER_UNITS: Readonly<Record<string, string>> = {
  inKilograms: 'kg', inGrams: 'g', inPounds: 'lb', inOunces: '[oz_av]',
  inMeters: 'm', inKilometers: 'km', inMiles: 'mi', inFeet: 'ft', inInches: 'in',
  inKilocalories: 'kcal', inCalories: 'cal', inJoules: 'J', inKilojoules: 'kJ',
  inMillimetersOfMercury: 'mmHg', inCelsius: 'Cel', inFahrenheit: '[degF]',
  inMilligramsPerDeciliter: 'mg/dL', inMillimolesPerLiter: 'mmol/L',
  inWatts: 'W', inKilocaloriesPerDay: 'kcal/d', inMetersPerSecond: 'm/s', inKilometersPerHour: 'km/h', inMilesPerHour: 'mph',
};

function measure(m: Record<string, number>, component: string): ValueInput {
  const [getter, value] = Object.entries(m)[0]!;
  const unit = GETTER_UNITS[getter];
  if (unit === undefined) throw new PulseHubError('PH_INGEST_UNKNOWN_UNIT', `unknown measurement field "${getter}" (known: ${Object.keys(GETTER_UNITS).join(', ')})`);
  return [component, value, unit];
}

const inst = { metadata: Metadata, time: iso, zoneOffset: z.string().optional() };
const span = { metadata: Metadata, startTime: iso, endTime: iso };
const Record_ = z.discriminatedUnion('recordType', [
  z.object({ recordType: z.literal('HeartRateRecord'), ...span, samples: z.array(z.object({ time: iso, beatsPerMinute: z.number() })).min(1).max(4096) }),
  z.object({ recordType: z.literal('StepsRecord'), ...span, count: z.number().int().nonnegative() }),
  z.object({ recordType: z.literal('DistanceRecord'), ...span, distance: Measure }),
  z.object({ recordType: z.literal('ActiveCaloriesBurnedRecord'), ...span, energy: Measure }),
  z.object({ recordType: z.literal('WeightRecord'), ...inst, weight: Measure }),
  z.object({ recordType: z.literal('BodyFatRecord'), ...inst, percentage: z.object({ value: z.number() }) }),
  z.object({ recordType: z.literal('BloodPressureRecord'), ...inst, systolic: Measure, diastolic: Measure, bodyPosition: z.number().int().optional(), measurementLocation: z.number().int().optional() }),
  z.object({ recordType: z.literal('OxygenSaturationRecord'), ...inst, percentage: z.object({ value: z.number() }) }),
  z.object({ recordType: z.literal('BodyTemperatureRecord'), ...inst, temperature: Measure, measurementLocation: z.number().int().optional() }),
  z.object({ recordType: z.literal('BloodGlucoseRecord'), ...inst, level: Measure, specimenSource: z.number().int().optional(), mealType: z.number().int().optional() }),
  z.object({ recordType: z.literal('SleepSessionRecord'), ...span, stages: z.array(z.object({ startTime: iso, endTime: iso, stage: z.number().int() })).max(500).optional() }),
  z.object({ recordType: z.literal('ExerciseSessionRecord'), ...span, exerciseType: z.number().int(), title: z.string().optional() }),
]);
const Format = z.literal('healthconnect.v1').optional();
export const HealthConnectPayload = z.union([
  z.object({ format: Format, records: z.array(Record_).min(1).max(1000) }),
  Record_.and(z.object({ format: Format })),
]);
type HcRecord = z.infer<typeof Record_>;

/** SleepSessionRecord stage constants → our components (1 awake, 2 sleeping, 3 out of bed, 4 light, 5 deep, 6 REM, 7 awake in bed). */
const STAGES: Readonly<Record<number, 'awake' | 'asleep' | 'light' | 'deep' | 'rem'>> = { 1: 'awake', 2: 'asleep', 3: 'awake', 4: 'light', 5: 'deep', 6: 'rem', 7: 'awake' };
/** ExerciseSessionRecord types we map (Jetpack constants); the rest are "other". */
const EXERCISES: Readonly<Record<number, WorkoutSport>> = { 8: 'cycling', 9: 'cycling', 56: 'running', 57: 'running', 79: 'walking' };

const minutes = (start: string, end: string): number => (Date.parse(end) - Date.parse(start)) / 60_000;

function recordToEvents(r: HcRecord, ctx: AdapterContext): CanonicalEvent[] {
  const id = `hc-${r.metadata.id}`;
  const one = (metric: MetricId, values: ValueInput[]): CanonicalEvent[] => [
    buildEvent('healthconnect.v1', ctx, { id, metric, time: 'time' in r ? { at: toUtc(r.time) } : { start: toUtc(r.startTime), end: toUtc(r.endTime) }, values }),
  ];
  switch (r.recordType) {
    case 'HeartRateRecord':
      return r.samples.map((s) => buildEvent('healthconnect.v1', ctx, { id: `${id}@${toUtc(s.time)}`, metric: 'heart_rate', time: { at: toUtc(s.time) }, values: [['bpm', s.beatsPerMinute]] }));
    case 'StepsRecord': return one('steps', [['count', r.count]]);
    case 'DistanceRecord': return one('distance', [measure(r.distance, 'meters')]);
    case 'ActiveCaloriesBurnedRecord': return one('active_energy', [measure(r.energy, 'kcal')]);
    case 'WeightRecord': return one('body_weight', [measure(r.weight, 'kg')]);
    case 'BodyFatRecord': return one('body_composition', [['fat_percent', r.percentage.value]]);
    case 'BloodPressureRecord': return one('blood_pressure', [measure(r.systolic, 'systolic'), measure(r.diastolic, 'diastolic')]);
    case 'OxygenSaturationRecord': return one('spo2', [['percent', r.percentage.value]]);
    case 'BodyTemperatureRecord': return one('body_temperature', [measure(r.temperature, 'celsius')]);
    case 'BloodGlucoseRecord': return one('blood_glucose', [measure(r.level, 'glucose')]);
    case 'SleepSessionRecord': {
      const sums = { asleep: 0, awake: 0, light: 0, deep: 0, rem: 0 };
      for (const s of r.stages ?? []) {
        const kind = STAGES[s.stage];
        if (kind) sums[kind] += minutes(s.startTime, s.endTime);
      }
      const staged = r.stages !== undefined && r.stages.length > 0;
      // Without stages the whole session counts as asleep; with them, asleep = every sleeping stage.
      const asleep = staged ? sums.asleep + sums.light + sums.deep + sums.rem : minutes(r.startTime, r.endTime);
      const values: ValueInput[] = [['asleep', asleep]];
      if (staged) for (const k of ['awake', 'light', 'deep', 'rem'] as const) values.push([k, sums[k]]);
      return one('sleep', values);
    }
    case 'ExerciseSessionRecord':
      return one('workout', [['sport', sportCode(EXERCISES[r.exerciseType] ?? 'other')], ['duration', minutes(r.startTime, r.endTime)]]);
  }
}

export const healthconnectV1 = defineAdapter({
  id: 'healthconnect.v1',
  description: 'Android Health Connect records (HeartRateRecord, StepsRecord, WeightRecord, BloodPressureRecord, ...) as JSON',
  schema: HealthConnectPayload,
  normalize(input, ctx) {
    const records: HcRecord[] = 'records' in input ? input.records : [input];
    return records.flatMap((r) => recordToEvents(r, ctx));
  },
});
