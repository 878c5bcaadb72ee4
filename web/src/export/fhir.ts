import { createHash } from 'node:crypto';
import { METRICS, isMetricId, type CanonicalEvent, type MetricSpec } from '@pulsehub/contracts';
import type { CodeableConcept, Observation, Quantity } from 'fhir/r4.js';

/**
 * FHIR R4 Observations from canonical events: LOINC codes and UCUM units from the metric
 * catalog, a PulseHub code beside every LOINC one (and alone where LOINC has no term, as the
 * catalog's `loincNote` says). One value → `valueQuantity`; several (blood pressure: systolic
 * and diastolic) → one Observation with a `component` each. Series (RR intervals) are not
 * carried: the CSV export has them.
 */
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const PULSEHUB_METRIC = 'urn:pulsehub:metric';
const OBSERVATION_CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const VITAL_SIGNS = new Set(['heart_rate', 'blood_pressure', 'spo2', 'body_temperature', 'body_weight', 'bmi']);

function code(loinc: string | undefined, local: string, display: string): CodeableConcept {
  const coding = [{ system: PULSEHUB_METRIC, code: local, display }];
  return { coding: loinc ? [{ system: LOINC, code: loinc, display }, ...coding] : coding, text: display };
}

function quantity(value: number, unit: string): Quantity {
  return { value, unit, system: UCUM, code: unit };
}

/** A FHIR id (64 chars of [A-Za-z0-9-.]) stable per user and event: event ids are free text. */
export function observationId(e: CanonicalEvent): string {
  return createHash('sha256').update(`${e.userId}\u0000${e.id}`).digest('hex').slice(0, 40);
}

export function toObservation(e: CanonicalEvent): Observation {
  const spec: MetricSpec | undefined = isMetricId(e.metric) ? METRICS[e.metric] : undefined;
  const label = spec?.label ?? e.metric;
  const obs: Observation = {
    resourceType: 'Observation',
    id: observationId(e),
    identifier: [{ system: 'urn:pulsehub:event', value: `${e.userId}/${e.id}` }],
    status: 'final',
    category: [{ coding: [{ system: OBSERVATION_CATEGORY, code: VITAL_SIGNS.has(e.metric) ? 'vital-signs' : 'activity' }] }],
    code: code(spec?.loinc, e.metric, label),
    subject: { identifier: { system: 'urn:pulsehub:user', value: e.userId } },
    device: { identifier: { system: 'urn:pulsehub:device', value: e.deviceId } },
    issued: e.source.receivedAt,
    ...('at' in e.time ? { effectiveDateTime: e.time.at } : { effectivePeriod: { start: e.time.start, end: e.time.end } }),
  };
  const entries = Object.entries(e.values);
  const primary = spec?.primary;
  if (entries.length === 1 && entries[0]![0] === primary) {
    const [, q] = entries[0]!;
    obs.valueQuantity = quantity(q.value, q.unit);
  } else {
    obs.component = entries.map(([name, q]) => {
      const c = spec?.components[name] as { loinc?: string } | undefined;
      return { code: code(c?.loinc, `${e.metric}.${name}`, `${label}: ${name.replace(/_/g, ' ')}`), valueQuantity: quantity(q.value, q.unit) };
    });
  }
  return obs;
}
