import { z } from 'zod';
import { PulseHubError, type CanonicalEvent, type MetricId } from '@pulsehub/contracts';
import { defineAdapter, type AdapterContext } from './types.js';
import { buildEvent, timeOf, toUtc } from './util.js';

/**
 * Apple HealthKit quantity samples as exported by an iPhone app: `{ samples: [...] }`, each
 * `{ uuid?, type: "HKQuantityTypeIdentifier…", startDate, endDate, value, unit }`. Dates may
 * be ISO 8601 or the Health app export's `2026-03-02 08:00:00 +0100`; values may be strings
 * (export.xml). Units are HKUnit strings (`count/min`, `kg`, `lb`, `mmHg`, `degF`, `%`).
 *
 * HealthKit stores percentages as fractions (0.97 with unit `%`), BMI with unit `count` and
 * blood glucose in `mmol<180.15588000005408>/L`; these are translated before conversion.
 * Blood pressure arrives as a systolic and a diastolic sample: the two with the same start
 * date and source are joined into one event. Types without a metric are skipped.
 */
const HK_DATE = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d{2})(\d{2})$/;
const HkDate = z.string().refine((s) => HK_DATE.test(s) || !Number.isNaN(Date.parse(s)), { error: 'not an ISO 8601 or HealthKit export date' });
const Sample = z.object({
  uuid: z.string().min(1).max(64).optional(),
  type: z.string().startsWith('HK'),
  startDate: HkDate,
  endDate: HkDate.optional(),
  value: z.union([z.number().finite(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]),
  unit: z.string().min(1),
  sourceName: z.string().optional(),
});
export const HealthKitPayload = z.object({ format: z.literal('healthkit.v1').optional(), samples: z.array(Sample).min(1).max(5000) });
type Sample = z.infer<typeof Sample>;

const Q = 'HKQuantityTypeIdentifier';
const TYPES: Readonly<Record<string, readonly [MetricId, string]>> = {
  [`${Q}HeartRate`]: ['heart_rate', 'bpm'],
  [`${Q}StepCount`]: ['steps', 'count'],
  [`${Q}DistanceWalkingRunning`]: ['distance', 'meters'],
  [`${Q}DistanceCycling`]: ['distance', 'meters'],
  [`${Q}ActiveEnergyBurned`]: ['active_energy', 'kcal'],
  [`${Q}BodyMass`]: ['body_weight', 'kg'],
  [`${Q}BodyMassIndex`]: ['bmi', 'bmi'],
  [`${Q}BodyFatPercentage`]: ['body_composition', 'fat_percent'],
  [`${Q}LeanBodyMass`]: ['body_composition', 'fat_free_mass'],
  [`${Q}BloodPressureSystolic`]: ['blood_pressure', 'systolic'],
  [`${Q}BloodPressureDiastolic`]: ['blood_pressure', 'diastolic'],
  [`${Q}OxygenSaturation`]: ['spo2', 'percent'],
  [`${Q}BodyTemperature`]: ['body_temperature', 'celsius'],
  [`${Q}BloodGlucose`]: ['blood_glucose', 'glucose'],
  [`${Q}CyclingSpeed`]: ['cycling', 'speed'],
  [`${Q}CyclingCadence`]: ['cycling', 'cadence'],
  [`${Q}CyclingPower`]: ['cycling', 'power'],
  [`${Q}RunningSpeed`]: ['running', 'speed'],
  [`${Q}RunningStrideLength`]: ['running', 'stride'],
};

/** HKUnit spellings that are not UCUM codes, and HealthKit's fraction-valued `%`. */
function ucumUnit(metric: MetricId, unit: string): string {
  if (unit === '%') return '1';
  if (metric === 'bmi' && unit === 'count') return 'kg/m2';
  if (/^mmol<[\d.]+>\/L$/.test(unit)) return 'mmol/L';
  return { 'km/hr': 'km/h', 'mi/hr': 'mph' }[unit] ?? unit;
}

const toIso = (d: string): string => {
  const m = HK_DATE.exec(d);
  return toUtc(m ? `${m[1]}T${m[2]}${m[3]}:${m[4]}` : d);
};

const INSTANT: ReadonlySet<MetricId> = new Set(['heart_rate', 'body_weight', 'bmi', 'body_composition', 'blood_pressure', 'spo2', 'body_temperature', 'blood_glucose']);

function sampleTime(metric: MetricId, s: Sample) {
  const start = toIso(s.startDate);
  return INSTANT.has(metric) ? { at: start } : timeOf(start, s.endDate === undefined ? undefined : toIso(s.endDate));
}

function bloodPressure(parts: Sample[], ctx: AdapterContext): CanonicalEvent[] {
  const byKey = new Map<string, Sample[]>();
  for (const s of parts) {
    const key = `${toIso(s.startDate)}|${s.sourceName ?? ''}`;
    byKey.set(key, [...(byKey.get(key) ?? []), s]);
  }
  return [...byKey.values()].map((pair) => {
    const sys = pair.find((s) => s.type.endsWith('Systolic'));
    const dia = pair.find((s) => s.type.endsWith('Diastolic'));
    if (!sys || !dia || pair.length !== 2) {
      throw new PulseHubError('PH_INGEST_SCHEMA_INVALID', `blood pressure at ${pair[0]!.startDate}: need one systolic and one diastolic sample with the same startDate`);
    }
    return buildEvent('healthkit.v1', ctx, {
      id: sys.uuid !== undefined && dia.uuid !== undefined ? `${sys.uuid}+${dia.uuid}` : undefined,
      metric: 'blood_pressure',
      time: { at: toIso(sys.startDate) },
      values: [['systolic', sys.value, ucumUnit('blood_pressure', sys.unit)], ['diastolic', dia.value, ucumUnit('blood_pressure', dia.unit)]],
    });
  });
}

export const healthkitV1 = defineAdapter({
  id: 'healthkit.v1',
  description: 'Apple HealthKit quantity samples (HKQuantityTypeIdentifier…, HKUnit strings)',
  schema: HealthKitPayload,
  normalize(input, ctx) {
    const bp: Sample[] = [];
    const out: CanonicalEvent[] = [];
    for (const s of input.samples) {
      const target = TYPES[s.type];
      if (!target) continue;
      const [metric, component] = target;
      if (metric === 'blood_pressure') {
        bp.push(s);
        continue;
      }
      out.push(buildEvent('healthkit.v1', ctx, { id: s.uuid, idExtra: s.type, metric, time: sampleTime(metric, s), values: [[component, s.value, ucumUnit(metric, s.unit)]] }));
    }
    return [...out, ...bloodPressure(bp, ctx)];
  },
});
