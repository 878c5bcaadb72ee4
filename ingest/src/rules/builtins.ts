import { ALERT_RULES as RULES, eventInstant, type AlertRuleDef as RuleDef, type AlertRuleId, type AlertSeverity, type CanonicalEvent } from '@pulsehub/contracts';

export { RULES, type RuleDef };

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
