import { createHash } from 'node:crypto';
import { METRICS, type CanonicalEvent, type MetricId } from '@pulsehub/contracts';
import type { AlertRow } from '@pulsehub/store';

/**
 * Home Assistant's side of the bridge, pure: state payloads, discovery configs, units.
 *
 * Units: the catalog's UCUM codes are written the way Home Assistant shows (and, for a
 * sensor with a device class, accepts) them. Device classes only where HA has one whose units
 * include ours (HA "Sensor" docs, device classes): weight kg, temperature °C, pressure mmHg,
 * distance m, speed m/s, power W, duration min/s, battery %. Heart rate, SpO2, glucose, steps
 * and energy in kcal have none: HA would refuse the unit or has no such class.
 */
const HA_UNITS: Readonly<Record<string, string>> = {
  '/min': 'bpm', Cel: '°C', 'mm[Hg]': 'mmHg', '{steps}': 'steps', 'kg/m2': 'kg/m²', '{score}': 'score', '{count}': 'laps',
};
const DEVICE_CLASS_BY_UNIT: Readonly<Record<string, string>> = {
  kg: 'weight', Cel: 'temperature', 'mm[Hg]': 'pressure', m: 'distance', 'm/s': 'speed', W: 'power', min: 'duration', s: 'duration',
};

/** Units that are codes or flags rather than quantities: no unit and no statistics in HA. */
const CODED = new Set(['{flags}', '{sport}', '{mindfulness}', '{timer}']);

export function haUnit(metric: MetricId, component: string): string | undefined {
  const unit = (METRICS[metric].components as Record<string, { unit: string }>)[component]?.unit;
  if (unit === undefined || CODED.has(unit)) return undefined;
  // cadence and stroke rate are per minute too, but not beats
  if (unit === '/min' && metric !== 'heart_rate' && component !== 'pulse' && !component.endsWith('_hr')) return 'rpm';
  return HA_UNITS[unit] ?? unit;
}

function deviceClass(metric: MetricId, component: string): string | undefined {
  if (metric === 'device_battery') return 'battery';
  const unit = (METRICS[metric].components as Record<string, { unit: string }>)[component]?.unit;
  return unit === undefined ? undefined : DEVICE_CLASS_BY_UNIT[unit];
}

/** The sensors one metric becomes: its primary component, and both pressures for blood pressure. */
export function sensorsOf(metric: MetricId): { object: string; component: string; label: string }[] {
  const spec = METRICS[metric];
  if (metric === 'blood_pressure') {
    return [
      { object: 'blood_pressure_systolic', component: 'systolic', label: 'Blood pressure systolic' },
      { object: 'blood_pressure_diastolic', component: 'diastolic', label: 'Blood pressure diastolic' },
    ];
  }
  return [{ object: metric, component: spec.primary, label: spec.label }];
}

/** The pseudo-metric of alert changes (`<prefix>/<user>/alert`). */
export const ALERT_TOPIC = 'alert';

/** The HA node (device) id of a person: a hash, so no user id sits in discovery topics (and erasure can keep it). */
export function nodeId(prefix: string, userId: string): string {
  return `pulsehub_${createHash('sha256').update(`${prefix}\u0000${userId}`).digest('hex').slice(0, 16)}`;
}

export interface BridgeTopics {
  readonly prefix: string;
  readonly discoveryPrefix: string;
}

export const stateTopic = (t: BridgeTopics, userId: string, metric: string) => `${t.prefix}/${userId}/${metric}`;
export const availabilityTopic = (t: BridgeTopics) => `${t.prefix}/bridge/availability`;
export const configTopic = (t: BridgeTopics, node: string, object: string) => `${t.discoveryPrefix}/sensor/${node}/${object}/config`;

const instant = (e: CanonicalEvent) => ('at' in e.time ? e.time.at : e.time.end);

/** The state JSON of a reading: `{value, unit, at}`; blood pressure `{systolic, diastolic, unit, at}` (pulse when measured). */
export function statePayload(e: CanonicalEvent): string {
  const metric = e.metric;
  const at = new Date(instant(e)).toISOString();
  if (metric === 'blood_pressure') {
    const v = (k: string) => e.values[k]?.value;
    return JSON.stringify({ systolic: v('systolic'), diastolic: v('diastolic'), ...(v('pulse') === undefined ? {} : { pulse: v('pulse') }), unit: 'mmHg', at });
  }
  const primary = METRICS[metric].primary;
  const unit = haUnit(metric, primary);
  return JSON.stringify({ value: e.values[primary]?.value ?? null, ...(unit === undefined ? {} : { unit }), at });
}

/** The state JSON of an alert change: what happened, and what the alert says (no readings). */
export function alertPayload(a: AlertRow): string {
  const change = a.resolvedAt ? (a.key ? 'insight' : 'resolved') : a.updates > 0 ? 'updated' : 'opened';
  const at = (a.resolvedAt ?? a.updatedAt ?? a.openedAt).toISOString();
  return JSON.stringify({ change, id: a.id, rule: a.ruleId, severity: a.severity, title: a.title, open: a.resolvedAt === null, at });
}

export interface DiscoveryConfig {
  readonly topic: string;
  readonly body: string;
}

/**
 * Retained discovery configs for one metric of one person (HA "MQTT Sensor" discovery): one
 * HA device per person, a unique_id per sensor, the bridge's availability topic.
 */
export function discoveryConfigs(t: BridgeTopics, userId: string, node: string, metric: string): DiscoveryConfig[] {
  const device = { identifiers: [node], name: `PulseHub ${userId}`, manufacturer: 'PulseHub', model: 'Athlete' };
  const common = { availability_topic: availabilityTopic(t), payload_available: 'online', payload_not_available: 'offline', device };
  if (metric === ALERT_TOPIC) {
    return [{
      topic: configTopic(t, node, 'alert'),
      body: JSON.stringify({
        name: 'Last alert', unique_id: `${node}_alert`, state_topic: stateTopic(t, userId, ALERT_TOPIC),
        value_template: '{{ value_json.title }}', json_attributes_topic: stateTopic(t, userId, ALERT_TOPIC), icon: 'mdi:alert-circle-outline', ...common,
      }),
    }];
  }
  const m = metric as MetricId;
  return sensorsOf(m).map((s) => {
    const unit = haUnit(m, s.component);
    const cls = deviceClass(m, s.component);
    const key = m === 'blood_pressure' ? s.component : 'value';
    return {
      topic: configTopic(t, node, s.object),
      body: JSON.stringify({
        name: s.label, unique_id: `${node}_${s.object}`, state_topic: stateTopic(t, userId, m),
        value_template: `{{ value_json.${key} }}`,
        ...(unit === undefined ? {} : { unit_of_measurement: unit }),
        ...(cls === undefined ? {} : { device_class: cls }),
        // Readings are measurements: a step reading counts the steps of its interval, it is not a running total.
        ...(unit === undefined && CODED.has(unitOf(m, s.component)) ? {} : { state_class: 'measurement' }),
        ...common,
      }),
    };
  });
}

const unitOf = (m: MetricId, component: string) => (METRICS[m].components as Record<string, { unit: string }>)[component]?.unit ?? '';

/** The retained config topics of a metric (cleared with an empty retained payload on revocation). */
export function configTopicsOf(t: BridgeTopics, node: string, metric: string): string[] {
  if (metric === ALERT_TOPIC) return [configTopic(t, node, 'alert')];
  return sensorsOf(metric as MetricId).map((s) => configTopic(t, node, s.object));
}
