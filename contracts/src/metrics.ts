/**
 * The metric catalog: every metric a device can report, its components with UCUM units,
 * the LOINC code each maps to (for a later FHIR export) and the physiological range
 * outside of which a reading is refused rather than stored.
 *
 * LOINC codes were checked against published LOINC term pages and FHIR value sets; where no
 * LOINC term exists (cycling and running sensor values, impedance, basal metabolism, ...)
 * the code is left out rather than guessed, and the metric says why in `loincNote`.
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
  /** LOINC code of the observation as a whole (a panel code for multi-component metrics). */
  readonly loinc?: string;
  /** Why a metric has no LOINC code, when it has none. */
  readonly loincNote?: string;
  /** `instant` readings have `time.at`; `interval` ones `time.start`/`time.end`; `either` accepts both. */
  readonly time: 'instant' | 'interval' | 'either';
  /** The component shown as "the" value (tile, chart). */
  readonly primary: string;
  readonly components: Readonly<Record<string, ComponentSpec>>;
  /** Named numeric series carried with a reading (e.g. RR intervals), unit per series. */
  readonly series?: Readonly<Record<string, { unit: string; min: number; max: number }>>;
  /** No single component is required, but a reading must carry at least one (food). */
  readonly atLeastOne?: boolean;
}

const c = (unit: string, min: number, max: number, required = false, loinc?: string): ComponentSpec =>
  loinc === undefined ? { unit, min, max, required } : { unit, min, max, required, loinc };

/**
 * Blood-pressure measurement status, a bitmask carried in `blood_pressure.status` (unit
 * `{flags}`). The bits follow the Bluetooth Blood Pressure Service "Measurement Status"
 * field so BLE cuffs map 1:1; other sources set the bits they know.
 */
export const BP_STATUS = {
  bodyMovement: 1 << 0,
  cuffTooLoose: 1 << 1,
  irregularPulse: 1 << 2,
  /** Bits 3-4: 0 = pulse within range, 1 = above the upper limit, 2 = below the lower limit. */
  pulseAboveRange: 1 << 3,
  pulseBelowRange: 2 << 3,
  improperPosition: 1 << 5,
} as const;

/**
 * Workout sport codes carried in `workout.sport` (unit `{sport}`): the index in this list.
 * Append only; a code's meaning never changes.
 */
export const WORKOUT_SPORTS = [
  'other', 'walking', 'running', 'cycling', 'swimming', 'hiking', 'rowing', 'elliptical',
  'strength_training', 'yoga', 'hiit', 'skiing', 'team_sport', 'racket_sport', 'dance',
  'martial_arts', 'climbing', 'skating', 'paddling', 'pilates', 'stair_climbing',
] as const;
export type WorkoutSport = (typeof WORKOUT_SPORTS)[number];

/** The numeric code of a sport name (`other` = 0 for names not in the list). */
export function sportCode(name: WorkoutSport): number {
  return WORKOUT_SPORTS.indexOf(name);
}

/** `mindfulness.kind` codes (unit `{mindfulness}`): the index in this list. Append only. */
export const MINDFULNESS_KINDS = ['breathing', 'meditation', 'check_in'] as const;
/** `timer_session.mode` codes (unit `{timer}`). Append only. */
export const TIMER_MODES = ['stopwatch', 'interval'] as const;
/** `food` notes: the meal a food entry belongs to. */
export const MEALS = ['breakfast', 'lunch', 'dinner', 'snack'] as const;
export type Meal = (typeof MEALS)[number];

const NO_SENSOR_LOINC = 'LOINC has no terms for sensor readings of this kind (speed, cadence, power, stride of a session); a FHIR export needs a local code';

export const METRICS = {
  heart_rate: {
    id: 'heart_rate', label: 'Heart rate', loinc: '8867-4', time: 'instant', primary: 'bpm',
    components: { bpm: c('/min', 20, 260, true, '8867-4'), energy_expended: c('kJ', 0, 65535) },
    series: { rr: { unit: 'ms', min: 200, max: 3000 } },
  },
  /**
   * Heart-rate variability the hub derives from the RR intervals of heart-rate readings
   * (ingest/src/derived/hrv.ts): RMSSD over the last 60 s of artefact-corrected intervals,
   * and its natural log (of the value in ms, so dimensionless). Not sent by devices.
   */
  hrv_rmssd: {
    id: 'hrv_rmssd', label: 'Heart-rate variability (RMSSD)', time: 'instant', primary: 'rmssd',
    loincNote: 'LOINC 80404-7 is the SD of R-R intervals (SDNN), not RMSSD; no LOINC term for RMSSD was found, so none is given rather than a wrong one',
    components: { rmssd: c('ms', 0, 1000, true), ln_rmssd: c('1', -10, 7) },
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
  bmi: {
    id: 'bmi', label: 'Body mass index', loinc: '39156-5', time: 'instant', primary: 'bmi',
    components: { bmi: c('kg/m2', 5, 150, true, '39156-5') },
  },
  /**
   * A scale's body-composition analysis. No component is required: scales report different
   * subsets. Fat-free mass, bone mass, impedance and basal metabolism have no LOINC term we
   * could confirm and carry none.
   */
  body_composition: {
    id: 'body_composition', label: 'Body composition', loinc: '41982-0', time: 'instant', primary: 'fat_percent',
    components: {
      fat_percent: c('%', 1, 75, false, '41982-0'),
      fat_mass: c('kg', 0.2, 400, false, '73708-0'),
      fat_free_mass: c('kg', 10, 250),
      muscle_mass: c('kg', 5, 200, false, '73964-9'),
      muscle_percent: c('%', 5, 90, false, '73965-6'),
      water_percent: c('%', 20, 85, false, '101684-9'),
      water_mass: c('kg', 5, 200, false, '101683-1'),
      bone_mass: c('kg', 0.5, 10),
      bone_percent: c('%', 1, 15, false, '101686-4'),
      impedance: c('Ohm', 100, 2000),
      basal_metabolism: c('kcal/d', 500, 5000),
    },
  },
  blood_pressure: {
    id: 'blood_pressure', label: 'Blood pressure', loinc: '85354-9', time: 'instant', primary: 'systolic',
    components: {
      systolic: c('mm[Hg]', 40, 300, true, '8480-6'),
      diastolic: c('mm[Hg]', 20, 200, true, '8462-4'),
      mean: c('mm[Hg]', 30, 250, false, '8478-0'),
      pulse: c('/min', 20, 260, false, '8867-4'),
      /** Bitmask, see BP_STATUS. */
      status: c('{flags}', 0, 63),
    },
  },
  spo2: {
    id: 'spo2', label: 'Oxygen saturation', loinc: '59408-5', time: 'instant', primary: 'percent',
    components: { percent: c('%', 50, 100, true, '59408-5') },
  },
  body_temperature: {
    id: 'body_temperature', label: 'Body temperature', loinc: '8310-5', time: 'instant', primary: 'celsius',
    components: { celsius: c('Cel', 25, 45, true, '8310-5') },
  },
  /** Mass concentration (2339-0, blood). CGM sensors read interstitial fluid; the code is the nearest. */
  blood_glucose: {
    id: 'blood_glucose', label: 'Blood glucose', loinc: '2339-0', time: 'instant', primary: 'glucose',
    components: { glucose: c('mg/dL', 10, 1000, true, '2339-0') },
  },
  /** Cadence is crank revolutions per minute. */
  cycling: {
    id: 'cycling', label: 'Cycling', loincNote: NO_SENSOR_LOINC, time: 'either', primary: 'speed',
    components: { speed: c('m/s', 0, 40), cadence: c('/min', 0, 250), power: c('W', 0, 3000) },
  },
  /** Cadence is steps per minute (both feet); stride is one step of one foot to the next of the same foot. */
  running: {
    id: 'running', label: 'Running', loincNote: NO_SENSOR_LOINC, time: 'either', primary: 'speed',
    components: { speed: c('m/s', 0, 13), cadence: c('/min', 0, 300), stride: c('m', 0.1, 3.5) },
  },
  /**
   * A rowing machine (BLE FTMS Rower Data). Stroke rate is strokes per minute; pace is the
   * time for 500 m, in seconds, as rowers display it.
   */
  rowing: {
    id: 'rowing', label: 'Rowing', loincNote: NO_SENSOR_LOINC, time: 'either', primary: 'stroke_rate',
    components: { stroke_rate: c('/min', 0, 80), power: c('W', 0, 2000), pace: c('s', 30, 3600) },
  },
  /** A sleep session; stage durations are components, all in minutes. */
  sleep: {
    id: 'sleep', label: 'Sleep', loinc: '93832-4', time: 'interval', primary: 'asleep',
    components: {
      asleep: c('min', 0, 1440, true, '93832-4'),
      awake: c('min', 0, 1440),
      light: c('min', 0, 1440, false, '93830-8'),
      deep: c('min', 0, 1440, false, '93831-6'),
      rem: c('min', 0, 1440, false, '93829-0'),
      /** Self-rated (or tracker-scored) sleep quality, 1 (worst) .. 10 (best); no LOINC term. */
      quality: c('{score}', 1, 10),
      /** Time asleep / time in bed. LOINC has no term we could confirm for sleep efficiency. */
      efficiency: c('%', 0, 100),
    },
  },
  /**
   * What was eaten or drunk: an instant (a snack) or an interval (a meal). No component is
   * required by the catalog, but at least one must be given (`checkAgainstCatalog`, `atLeastOne`);
   * the text (`description`, `meal`) travels in the event's `notes`.
   * LOINC: 9052-2 calorie intake total; no term for protein, carbohydrate, fat or water
   * intake of one entry could be confirmed, so those carry none (see `loincNote`).
   */
  food: {
    id: 'food', label: 'Food', loinc: '9052-2', time: 'either', primary: 'energy', atLeastOne: true,
    loincNote: 'only calorie intake (9052-2) has a confirmed LOINC term; macronutrients and water of one entry need local codes',
    components: {
      energy: c('kcal', 0, 10_000, false, '9052-2'),
      protein: c('g', 0, 1000),
      carbs: c('g', 0, 2000),
      fat: c('g', 0, 1000),
      water: c('mL', 0, 10_000),
    },
  },
  /** A mindfulness session; `kind` is a MINDFULNESS_KINDS code, moods are 1..5 self-ratings. */
  mindfulness: {
    id: 'mindfulness', label: 'Mindfulness', time: 'interval', primary: 'duration',
    loincNote: 'LOINC has no term for a mindfulness or meditation session; a FHIR export needs a local code',
    components: {
      duration: c('min', 0, 1440, true),
      kind: c('{mindfulness}', 0, 2),
      mood_before: c('{score}', 1, 5),
      mood_after: c('{score}', 1, 5),
    },
  },
  /**
   * A stopwatch or interval-timer run: total duration, laps, and each lap's duration in
   * `series.laps` (seconds); `mode` is a TIMER_MODES code.
   */
  timer_session: {
    id: 'timer_session', label: 'Timer session', time: 'interval', primary: 'duration',
    loincNote: 'a timer run is not a clinical observation: no LOINC term applies',
    components: {
      duration: c('s', 0, 86_400, true),
      laps: c('{count}', 0, 1000),
      mode: c('{timer}', 0, 1),
    },
    series: { laps: { unit: 's', min: 0, max: 86_400 } },
  },
  /**
   * The reporting device's battery level. Device status rather than an observation of the
   * person, kept so boards and the admin page can warn before a strap dies mid-class.
   */
  device_battery: {
    id: 'device_battery', label: 'Device battery', loincNote: 'device status, not an observation of the person: no LOINC term applies', time: 'instant', primary: 'percent',
    components: { percent: c('%', 0, 100, true) },
  },
  /** A workout session; `sport` is a WORKOUT_SPORTS code (the value of LOINC 73985-4 "Exercise activity"). */
  workout: {
    id: 'workout', label: 'Workout', loinc: '73985-4', time: 'interval', primary: 'duration',
    components: {
      sport: c('{sport}', 0, 255, true, '73985-4'),
      duration: c('min', 0, 2880, true, '55411-3'),
      energy: c('kcal', 0, 20_000, false, '41981-2'),
      distance: c('m', 0, 1_000_000, false, '55412-1'),
      avg_hr: c('/min', 20, 260, false, '55425-3'),
      max_hr: c('/min', 20, 260, false, '55426-1'),
    },
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricId = keyof typeof METRICS;

export const METRIC_IDS = Object.keys(METRICS) as [MetricId, ...MetricId[]];

export function metricSpec(id: MetricId): MetricSpec {
  return METRICS[id];
}

export function isMetricId(id: string): id is MetricId {
  return Object.hasOwn(METRICS, id);
}
