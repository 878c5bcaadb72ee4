import { WORKOUT_SPORTS, type CanonicalEvent } from '@pulsehub/contracts';

/**
 * Open mHealth data points: the inverse of the `omh.v1` ingest adapter, so an export imports
 * back into the same rows (same id, metric, time and values). Schema names and body properties
 * mirror that adapter's table; units are OMH spellings the adapter maps back to UCUM.
 * Metrics without an OMH schema (cycling, running, rowing, HRV, battery, body composition
 * besides fat %) are left out of this format, and so are components the schema has no
 * property for (the CSV and FHIR exports carry everything).
 */
type Prop = readonly [component: string, property: string, omhUnit: string];
const SCHEMAS: Readonly<Record<string, { name: string; version: string; props: readonly Prop[] }>> = {
  heart_rate: { name: 'heart-rate', version: '2.0', props: [['bpm', 'heart_rate', 'beats/min']] },
  steps: { name: 'step-count', version: '3.0', props: [['count', 'step_count', 'steps']] },
  body_weight: { name: 'body-weight', version: '2.0', props: [['kg', 'body_weight', 'kg']] },
  bmi: { name: 'body-mass-index', version: '2.0', props: [['bmi', 'body_mass_index', 'kg/m^2']] },
  body_composition: { name: 'body-fat-percentage', version: '2.0', props: [['fat_percent', 'body_fat_percentage', '%']] },
  blood_pressure: { name: 'blood-pressure', version: '2.0', props: [['systolic', 'systolic_blood_pressure', 'mmHg'], ['diastolic', 'diastolic_blood_pressure', 'mmHg']] },
  spo2: { name: 'oxygen-saturation', version: '2.0', props: [['percent', 'oxygen_saturation', '%']] },
  body_temperature: { name: 'body-temperature', version: '2.0', props: [['celsius', 'body_temperature', 'C']] },
  blood_glucose: { name: 'blood-glucose', version: '2.0', props: [['glucose', 'blood_glucose', 'mg/dL']] },
  active_energy: { name: 'calories-burned', version: '2.0', props: [['kcal', 'kcal_burned', 'kcal']] },
  sleep: { name: 'sleep-duration', version: '2.0', props: [['asleep', 'sleep_duration', 'min']] },
  workout: { name: 'physical-activity', version: '2.0', props: [['energy', 'kcal_burned', 'kcal'], ['distance', 'distance', 'm']] },
};

export interface OmhDataPoint {
  header: { id: string; creation_date_time: string; schema_id: { namespace: 'omh'; name: string; version: string } };
  body: Record<string, unknown>;
}

/** The data point of an event, or undefined when the metric has no OMH schema here. */
export function toOmh(e: CanonicalEvent): OmhDataPoint | undefined {
  const schema = SCHEMAS[e.metric];
  if (!schema) return undefined;
  const body: Record<string, unknown> = {
    effective_time_frame: 'at' in e.time ? { date_time: e.time.at } : { time_interval: { start_date_time: e.time.start, end_date_time: e.time.end } },
  };
  let any = false;
  for (const [component, property, unit] of schema.props) {
    const q = e.values[component];
    if (q === undefined) continue;
    body[property] = { value: q.value, unit };
    any = true;
  }
  if (e.metric === 'workout') {
    const sport = e.values.sport?.value;
    body.activity_name = WORKOUT_SPORTS[sport ?? 0] ?? 'other';
    any = true;
  } else if (!any) return undefined;
  return { header: { id: e.id, creation_date_time: e.source.receivedAt, schema_id: { namespace: 'omh', name: schema.name, version: schema.version } }, body };
}
