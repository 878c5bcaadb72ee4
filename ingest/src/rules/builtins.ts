import { eventInstant, type AlertRuleId, type AlertSeverity, type CanonicalEvent, type MetricId } from '@pulsehub/contracts';

/**
 * The built-in rules, as data: what they watch, their defaults (a user's overrides replace
 * them key by key), where the thresholds come from. Reading rules are evaluated after a batch
 * commits (rules/engine.ts); scheduled rules by the scheduler (rules/scheduler.ts).
 */
export interface RuleDef {
  id: AlertRuleId;
  kind: 'reading' | 'scheduled';
  metric: MetricId | null;
  severity: AlertSeverity;
  description: string;
  source: string;
  defaults: Readonly<Record<string, number>>;
}

export const RULES: readonly RuleDef[] = [
  {
    id: 'bp-category', kind: 'reading', metric: 'blood_pressure', severity: 'warning',
    description: 'Blood pressure category of every reading: normal, elevated, stage 1, stage 2 (open while above normal)',
    // Whelton PK et al. 2017 ACC/AHA/AAPA/ABC/ACPM/AGS/APhA/ASH/ASPC/NMA/PCNA Guideline for the
    // Prevention, Detection, Evaluation, and Management of High Blood Pressure in Adults.
    // Hypertension 2018;71:e13–e115, Table 6.
    source: '2017 ACC/AHA guideline (Whelton et al., Hypertension 2018;71:e13), Table 6',
    defaults: {},
  },
  {
    id: 'bp-crisis', kind: 'reading', metric: 'blood_pressure', severity: 'critical',
    description: 'Hypertensive crisis: systolic above 180 and/or diastolic above 120 mm Hg',
    source: '2017 ACC/AHA guideline (Whelton et al., Hypertension 2018;71:e13), section 11.2 hypertensive crises',
    defaults: { systolic: 180, diastolic: 120 },
  },
  {
    id: 'hr-high', kind: 'reading', metric: 'heart_rate', severity: 'critical',
    description: 'Heart rate above pctMax % of max HR for longer than seconds',
    source: 'Max HR: Tanaka, Monahan & Seals 2001 (208 − 0.7 × age) unless measured; threshold is a coaching safety default',
    defaults: { pctMax: 95, seconds: 120 },
  },
  {
    id: 'spo2-low', kind: 'reading', metric: 'spo2', severity: 'warning',
    description: 'SpO2 below percent in count readings within windowMinutes (one bad sample is ignored)',
    // < 90 % is the usual hypoxaemia threshold (WHO, Oxygen therapy for children, 2016; BTS
    // guideline for oxygen use in adults, O'Driscoll et al., Thorax 2017).
    source: 'WHO 2016 oxygen therapy manual / BTS 2017 guideline: SpO2 < 90 % is hypoxaemia',
    defaults: { percent: 90, count: 2, windowMinutes: 5 },
  },
  {
    id: 'glucose-range', kind: 'reading', metric: 'blood_glucose', severity: 'warning',
    description: 'Glucose outside low..high mg/dL (critical below veryLow)',
    // International consensus on time in range (Battelino et al., Diabetes Care 2019;42:1593):
    // target 70–180 mg/dL, level 2 hypoglycaemia < 54 mg/dL.
    source: 'Battelino et al., Diabetes Care 2019;42:1593 (time in range 70–180 mg/dL; < 54 mg/dL level 2)',
    defaults: { low: 70, high: 180, veryLow: 54 },
  },
  {
    id: 'battery-low', kind: 'reading', metric: 'device_battery', severity: 'warning',
    description: 'A device battery below percent',
    source: 'Product default (issue 13): 15 %',
    defaults: { percent: 15 },
  },
  {
    id: 'device-offline', kind: 'scheduled', metric: null, severity: 'warning',
    description: 'A device silent for longer than minutes (its expected interval)',
    source: 'Product default: a wearable reports at least every few minutes while worn',
    defaults: { minutes: 60 },
  },
  {
    id: 'steps-low', kind: 'scheduled', metric: 'steps', severity: 'info',
    description: "Fewer than steps by hour o'clock of the athlete's local day",
    source: 'Tudor-Locke et al. 2011 (IJBNPA 8:79): < 5000 steps/day is sedentary; checked at a configurable hour',
    defaults: { steps: 5000, hour: 18 },
  },
  {
    id: 'resting-hr-trend', kind: 'scheduled', metric: 'heart_rate', severity: 'warning',
    description: '7-day mean resting HR at least bpm above the 28-day baseline (daily rollups)',
    source: 'Buchheit 2014 (Front Physiol 5:73): a sustained resting HR rise flags fatigue or illness; product default 5 bpm',
    defaults: { bpm: 5, minDays: 4 },
  },
  {
    id: 'weight-change', kind: 'scheduled', metric: 'body_weight', severity: 'warning',
    description: 'Body weight changed by more than percent within 7 days',
    source: 'Heart-failure self-care advice (AHA; ESC 2021 HF guideline): a quick gain of ~2 kg or 2 % is a warning sign',
    defaults: { percent: 2 },
  },
];

export const RULE_BY_ID: ReadonlyMap<string, RuleDef> = new Map(RULES.map((r) => [r.id, r]));

/** ACC/AHA 2017 categories (Table 6). The higher of the two readings' categories wins. */
export type BpCategory = 'normal' | 'elevated' | 'stage1' | 'stage2';
export function bpCategory(systolic: number, diastolic: number): BpCategory {
  if (systolic >= 140 || diastolic >= 90) return 'stage2';
  if (systolic >= 130 || diastolic >= 80) return 'stage1';
  if (systolic >= 120) return 'elevated'; // 120–129 and diastolic < 80
  return 'normal';
}

export const BP_LABEL: Record<BpCategory, string> = { normal: 'normal', elevated: 'elevated', stage1: 'stage 1 hypertension', stage2: 'stage 2 hypertension' };

/** What a rule says about one reading: raise (open or update) the alert, resolve it, or nothing. */
export type Outcome =
  | { kind: 'raise'; severity: AlertSeverity; title: string; detail: Record<string, unknown>; readingIds: string[]; significant?: string }
  | { kind: 'resolve' }
  | null;

/** Per athlete and rule memory of the reading rules (per ingest worker). */
export interface RuleMemory {
  /** hr-high: when the run of readings above the threshold began, and its readings. */
  hrAboveSince?: number;
  hrLastAt?: number;
  hrIds?: string[];
  /** spo2-low: the recent low readings. */
  spo2Low?: { at: number; id: string }[];
  /** battery-low: devices currently low. */
  lowBatteries?: Set<string>;
}

export interface RuleInput {
  event: CanonicalEvent;
  params: Readonly<Record<string, number>>;
  memory: RuleMemory;
  maxHr: number;
}

/** A heart-rate gap longer than this breaks a run above the threshold (the sensor fell off). */
const HR_MAX_GAP_MS = 30_000;

const num = (e: CanonicalEvent, key: string): number | undefined => e.values[key]?.value;

export const EVALUATE: Partial<Record<AlertRuleId, (i: RuleInput) => Outcome>> = {
  'bp-category': ({ event }) => {
    const s = num(event, 'systolic');
    const d = num(event, 'diastolic');
    if (s === undefined || d === undefined) return null;
    const category = bpCategory(s, d);
    if (category === 'normal') return { kind: 'resolve' };
    return {
      kind: 'raise', severity: category === 'elevated' ? 'info' : 'warning', title: `Blood pressure ${s}/${d}: ${BP_LABEL[category]}`,
      detail: { category, systolic: s, diastolic: d }, readingIds: [event.id], significant: category,
    };
  },
  'bp-crisis': ({ event, params }) => {
    const s = num(event, 'systolic');
    const d = num(event, 'diastolic');
    if (s === undefined || d === undefined) return null;
    if (s > params.systolic! || d > params.diastolic!) {
      return { kind: 'raise', severity: 'critical', title: `Hypertensive crisis: ${s}/${d} mm Hg`, detail: { systolic: s, diastolic: d }, readingIds: [event.id], significant: 'crisis' };
    }
    return { kind: 'resolve' };
  },
  'hr-high': ({ event, params, memory, maxHr }) => {
    const bpm = num(event, 'bpm');
    if (bpm === undefined) return null;
    const at = Date.parse(eventInstant(event.time));
    const threshold = (maxHr * params.pctMax!) / 100;
    const gap = memory.hrLastAt !== undefined && at - memory.hrLastAt > HR_MAX_GAP_MS;
    memory.hrLastAt = at;
    if (bpm <= threshold) {
      memory.hrAboveSince = undefined;
      memory.hrIds = [];
      return { kind: 'resolve' };
    }
    if (memory.hrAboveSince === undefined || gap) {
      memory.hrAboveSince = at;
      memory.hrIds = [];
    }
    memory.hrIds = [...(memory.hrIds ?? []), event.id].slice(-10);
    const heldS = (at - memory.hrAboveSince) / 1000;
    if (heldS < params.seconds!) return null;
    return {
      kind: 'raise', severity: 'critical', title: `Heart rate ${bpm} bpm above ${params.pctMax} % of max (${Math.round(maxHr)}) for ${Math.round(heldS)} s`,
      detail: { bpm, maxHr: Math.round(maxHr), pctMax: Math.round((bpm / maxHr) * 1000) / 10, seconds: Math.round(heldS), since: new Date(memory.hrAboveSince).toISOString() },
      readingIds: memory.hrIds,
    };
  },
  'spo2-low': ({ event, params, memory }) => {
    const pct = num(event, 'percent');
    if (pct === undefined) return null;
    if (pct >= params.percent!) {
      memory.spo2Low = [];
      return { kind: 'resolve' };
    }
    const at = Date.parse(eventInstant(event.time));
    const windowMs = params.windowMinutes! * 60_000;
    memory.spo2Low = [...(memory.spo2Low ?? []).filter((x) => at - x.at <= windowMs && x.id !== event.id), { at, id: event.id }];
    if (memory.spo2Low.length < params.count!) return null;
    return { kind: 'raise', severity: 'warning', title: `SpO2 ${pct} % (below ${params.percent} % in ${memory.spo2Low.length} readings)`, detail: { percent: pct }, readingIds: memory.spo2Low.map((x) => x.id) };
  },
  'glucose-range': ({ event, params }) => {
    const g = num(event, 'glucose');
    if (g === undefined) return null;
    if (g >= params.low! && g <= params.high!) return { kind: 'resolve' };
    const level = g < params.veryLow! ? 'very-low' : g < params.low! ? 'low' : 'high';
    return { kind: 'raise', severity: level === 'very-low' ? 'critical' : 'warning', title: `Glucose ${g} mg/dL (${level})`, detail: { glucose: g, level }, readingIds: [event.id], significant: level };
  },
  'battery-low': ({ event, params, memory }) => {
    const pct = num(event, 'percent');
    if (pct === undefined) return null;
    const low = (memory.lowBatteries ??= new Set());
    if (pct >= params.percent!) {
      low.delete(event.deviceId);
      return low.size === 0 ? { kind: 'resolve' } : null;
    }
    const first = !low.has(event.deviceId);
    low.add(event.deviceId);
    return { kind: 'raise', severity: 'warning', title: `Battery of ${event.deviceId} at ${pct} %`, detail: { deviceId: event.deviceId, percent: pct }, readingIds: [event.id], ...(first ? { significant: `${event.deviceId}` } : {}) };
  },
};

/** Reading rules by the metric they watch. */
export const READING_RULES: ReadonlyMap<string, RuleDef[]> = (() => {
  const m = new Map<string, RuleDef[]>();
  for (const r of RULES) if (r.kind === 'reading' && r.metric) m.set(r.metric, [...(m.get(r.metric) ?? []), r]);
  return m;
})();
