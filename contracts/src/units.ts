import { PulseHubError } from './errors.js';
import { METRICS, type MetricId } from './metrics.js';

/**
 * UCUM unit conversion on input. Devices send values in whatever unit they display; the
 * catalog stores one canonical UCUM unit per component. `toCanonical` converts a value to
 * its component's canonical unit or throws `PH_INGEST_UNKNOWN_UNIT`.
 *
 * Inputs are UCUM codes (`[lb_av]`, `[degF]`, `mm[Hg]`) plus the spellings devices really
 * send (`lb`, `°F`, `mmHg`, `bpm`, `km/h`). Conversions between mass and amount of substance
 * (mmol/L ↔ mg/dL) depend on the substance and are only offered for the component they belong to.
 */
type Convert = (v: number) => number;

const same: Convert = (v) => v;
const times = (f: number): Convert => (v) => v * f;
const per = (d: number): Convert => (v) => v / d;

/** Exact by definition: 1 lb = 0.45359237 kg, 1 in = 0.0254 m, 1 mmHg = 133.322387415 Pa, 1 kcal = 4.184 kJ. */
const LB = 0.45359237;
const MMHG_PER_KPA = 1000 / 133.322387415;
const KJ_PER_KCAL = 4.184;
/** Glucose molar mass 180.156 g/mol: 1 mmol/L = 18.0156 mg/dL. */
const GLUCOSE_MG_DL_PER_MMOL_L = 18.0156;

/** Canonical unit → accepted input unit → conversion into the canonical unit. */
const CONVERSIONS: Readonly<Record<string, Readonly<Record<string, Convert>>>> = {
  kg: { kg: same, g: per(1000), '[lb_av]': times(LB), lb: times(LB), lbs: times(LB), '[oz_av]': times(LB / 16), '[stone_av]': times(14 * LB), st: times(14 * LB) },
  m: {
    m: same, km: times(1000), cm: per(100), mm: per(1000),
    '[mi_i]': times(1609.344), mi: times(1609.344), '[yd_i]': times(0.9144), yd: times(0.9144),
    '[ft_i]': times(0.3048), ft: times(0.3048), '[in_i]': times(0.0254), in: times(0.0254),
  },
  '/min': {
    '/min': same, '1/min': same, '{beats}/min': same, '{beat}/min': same, 'beats/min': same, 'count/min': same, bpm: same,
    '{rev}/min': same, rpm: same, '{steps}/min': same, 'steps/min': same, spm: same, '/s': times(60), Hz: times(60),
  },
  'mm[Hg]': { 'mm[Hg]': same, mmHg: same, kPa: times(MMHG_PER_KPA), Pa: times(MMHG_PER_KPA / 1000), hPa: times(MMHG_PER_KPA / 10) },
  Cel: {
    Cel: same, '°C': same, degC: same,
    '[degF]': (v) => ((v - 32) * 5) / 9, '°F': (v) => ((v - 32) * 5) / 9, degF: (v) => ((v - 32) * 5) / 9,
    K: (v) => v - 273.15,
  },
  'mg/dL': { 'mg/dL': same, 'mg/dl': same, 'g/L': times(100), 'g/l': times(100), 'mg/L': per(10) },
  '%': { '%': same, percent: same, '1': times(100) },
  kcal: { kcal: same, '[Cal]': same, Cal: same, cal: per(1000), kJ: per(KJ_PER_KCAL), J: per(KJ_PER_KCAL * 1000) },
  kJ: { kJ: same, J: per(1000), kcal: times(KJ_PER_KCAL), '[Cal]': times(KJ_PER_KCAL) },
  'm/s': { 'm/s': same, 'km/h': per(3.6), 'km/hr': per(3.6), kph: per(3.6), '[mi_i]/h': times(0.44704), mph: times(0.44704), 'cm/s': per(100) },
  W: { W: same, kW: times(1000) },
  min: { min: same, s: per(60), h: times(60), ms: per(60_000) },
  ms: { ms: same, s: times(1000) },
  'kg/m2': { 'kg/m2': same, 'kg/m^2': same },
  Ohm: { Ohm: same, ohm: same, 'Ω': same, kOhm: times(1000) },
  'kcal/d': { 'kcal/d': same, 'kcal/(24.h)': same, 'kJ/d': per(KJ_PER_KCAL) },
  '{steps}': { '{steps}': same, '{step}': same, steps: same, count: same, '{count}': same, '1': same },
  '{flags}': { '{flags}': same },
  '{sport}': { '{sport}': same },
  '{mindfulness}': { '{mindfulness}': same },
  '{timer}': { '{timer}': same },
  '{score}': { '{score}': same },
  '{count}': { '{count}': same, count: same, '1': same },
  s: { s: same, ms: per(1000), min: times(60) },
};

/** Substance-specific conversions, by `metric.component`. */
const SPECIFIC: Readonly<Record<string, Readonly<Record<string, Convert>>>> = {
  'blood_glucose.glucose': { 'mmol/L': times(GLUCOSE_MG_DL_PER_MMOL_L), 'mmol/l': times(GLUCOSE_MG_DL_PER_MMOL_L) },
};

/** The input units accepted for a metric's component (canonical unit first). */
export function acceptedUnits(metric: MetricId, component: string): string[] {
  const canonical = canonicalUnit(metric, component);
  const units = [canonical, ...Object.keys(CONVERSIONS[canonical] ?? {}), ...Object.keys(SPECIFIC[`${metric}.${component}`] ?? {})];
  return [...new Set(units)];
}

/** The canonical UCUM unit of a metric's component; throws `PH_INGEST_UNKNOWN_COMPONENT`. */
export function canonicalUnit(metric: MetricId, component: string): string {
  const spec = METRICS[metric].components as Readonly<Record<string, { unit: string }>>;
  const comp = Object.hasOwn(spec, component) ? spec[component] : undefined;
  if (!comp) {
    throw new PulseHubError('PH_INGEST_UNKNOWN_COMPONENT', `${metric} has no component "${component}" (known: ${Object.keys(spec).join(', ')})`, {
      details: { metric, component },
    });
  }
  return comp.unit;
}

/**
 * Converts `value` given in `unit` to the canonical unit of `metric.component`.
 * Throws `PH_INGEST_UNKNOWN_COMPONENT` or `PH_INGEST_UNKNOWN_UNIT` (with the accepted units in `details`).
 */
export function toCanonical(metric: MetricId, component: string, value: number, unit: string): number {
  const canonical = canonicalUnit(metric, component);
  const u = unit.trim();
  if (u === canonical) return value;
  const specific = SPECIFIC[`${metric}.${component}`];
  const table = CONVERSIONS[canonical];
  const convert = (specific && Object.hasOwn(specific, u) ? specific[u] : undefined) ?? (table && Object.hasOwn(table, u) ? table[u] : undefined);
  if (!convert) {
    const accepted = acceptedUnits(metric, component);
    throw new PulseHubError('PH_INGEST_UNKNOWN_UNIT', `${metric}.${component}: cannot convert "${unit}" to ${canonical} (accepted: ${accepted.join(', ')})`, {
      details: { metric, component, unit, canonical, accepted },
    });
  }
  return convert(value);
}

/** A value with its canonical unit, ready for `CanonicalEvent.values`. */
export function canonicalQuantity(metric: MetricId, component: string, value: number, unit?: string): { value: number; unit: string } {
  const canonical = canonicalUnit(metric, component);
  return { value: unit === undefined ? value : toCanonical(metric, component, value, unit), unit: canonical };
}
