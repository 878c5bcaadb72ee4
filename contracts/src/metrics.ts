/**
 * The metric catalog: every metric a device can report, its components with UCUM units,
 * the LOINC code each maps to (for a later FHIR export) and the physiological range
 * outside of which a reading is refused rather than stored.
 */
export interface ComponentSpec {
  /** UCUM unit of the canonical value. */
  readonly unit: string;
  readonly loinc?: string;
  readonly min: number;
  readonly max: number;
  readonly required: boolean;
}

export interface MetricSpec {
  readonly id: string;
  readonly label: string;
  readonly loinc: string;
  /** `instant` readings have `time.at`; `interval` ones `time.start`/`time.end`; `either` accepts both. */
  readonly time: 'instant' | 'interval' | 'either';
  /** The component shown as "the" value (tile, chart). */
  readonly primary: string;
  readonly components: Readonly<Record<string, ComponentSpec>>;
  /** Named numeric series carried with a reading (e.g. RR intervals), unit per series. */
  readonly series?: Readonly<Record<string, { unit: string; min: number; max: number }>>;
}

const c = (unit: string, min: number, max: number, required = false, loinc?: string): ComponentSpec =>
  loinc === undefined ? { unit, min, max, required } : { unit, min, max, required, loinc };

export const METRICS = {
  heart_rate: {
    id: 'heart_rate', label: 'Heart rate', loinc: '8867-4', time: 'instant', primary: 'bpm',
    components: { bpm: c('/min', 20, 260, true, '8867-4'), energy_expended: c('kJ', 0, 65535) },
    series: { rr: { unit: 'ms', min: 200, max: 3000 } },
  },
  steps: {
    id: 'steps', label: 'Steps', loinc: '55423-8', time: 'either', primary: 'count',
    components: { count: c('{steps}', 0, 200_000, true, '55423-8') },
  },
  distance: {
    id: 'distance', label: 'Distance', loinc: '41953-1', time: 'either', primary: 'meters',
    components: { meters: c('m', 0, 1_000_000, true, '41953-1') },
  },
  active_energy: {
    id: 'active_energy', label: 'Active energy', loinc: '41981-2', time: 'either', primary: 'kcal',
    components: { kcal: c('kcal', 0, 20_000, true, '41981-2') },
  },
  body_weight: {
    id: 'body_weight', label: 'Body weight', loinc: '29463-7', time: 'instant', primary: 'kg',
    components: { kg: c('kg', 0.5, 650, true, '29463-7'), bmi: c('kg/m2', 5, 150, false, '39156-5'), height: c('m', 0.3, 2.8, false, '8302-2') },
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricId = keyof typeof METRICS;
export const METRIC_IDS = Object.keys(METRICS) as [MetricId, ...MetricId[]];

export function metricSpec(id: MetricId): MetricSpec {
  return METRICS[id];
}
