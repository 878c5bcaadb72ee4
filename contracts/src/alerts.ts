import { z } from 'zod';

/**
 * Alerts and insights: what the hub's rules say about an athlete's readings. One shape for the
 * live `alert` message, the REST answers and the store's rows (instants as ISO 8601).
 */
export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export const AlertSeverity = z.enum(ALERT_SEVERITIES);
export type AlertSeverity = z.infer<typeof AlertSeverity>;

/** The built-in rules (ids are stable: per-user overrides and stored alerts refer to them). */
export const ALERT_RULE_IDS = [
  'bp-category', 'bp-crisis', 'hr-high', 'spo2-low', 'glucose-range', 'battery-low',
  'device-offline', 'steps-low', 'resting-hr-trend', 'weight-change',
] as const;
export const AlertRuleId = z.enum(ALERT_RULE_IDS);
export type AlertRuleId = z.infer<typeof AlertRuleId>;

const Instant = z.iso.datetime({ offset: true });

export const AlertJson = z.object({
  id: z.number().int(),
  userId: z.string(),
  /** A built-in rule id, or the id an insight was recorded under (e.g. `goal-reached`). */
  ruleId: z.string(),
  severity: AlertSeverity,
  title: z.string(),
  detail: z.record(z.string(), z.unknown()),
  readingIds: z.array(z.string()),
  updates: z.number().int(),
  openedAt: Instant,
  updatedAt: Instant,
  resolvedAt: Instant.nullable(),
  ackedAt: Instant.nullable(),
  ackedBy: z.string().nullable(),
});
export type AlertJson = z.infer<typeof AlertJson>;

/** What happened to an alert, as carried live: opened, updated (still holds), resolved, acknowledged. */
export const ALERT_CHANGES = ['opened', 'updated', 'resolved', 'acked', 'insight'] as const;
export const AlertChange = z.enum(ALERT_CHANGES);
export type AlertChange = z.infer<typeof AlertChange>;

/** Thresholds of one rule for one user (only the numbers the rule reads; unknown keys refused). */
export const AlertRuleParams = z.record(z.string().regex(/^[a-zA-Z]{1,32}$/), z.number().finite());
export const AlertRuleOverrideInput = z.object({
  enabled: z.boolean().default(true),
  params: AlertRuleParams.default({}),
}).strict();
export type AlertRuleOverrideInput = z.infer<typeof AlertRuleOverrideInput>;

export const AlertRuleJson = z.object({
  id: AlertRuleId,
  kind: z.enum(['reading', 'scheduled']),
  metric: z.string().nullable(),
  severity: AlertSeverity,
  description: z.string(),
  source: z.string(),
  /** The defaults, then the user's values over them. */
  defaults: z.record(z.string(), z.number()),
  params: z.record(z.string(), z.number()),
  enabled: z.boolean(),
  overridden: z.boolean(),
});
export type AlertRuleJson = z.infer<typeof AlertRuleJson>;

/**
 * The built-in rules, as data: what they watch, their defaults (a user's overrides replace
 * them key by key), where the thresholds come from. Reading rules are evaluated after a batch
 * commits (ingest/src/rules/engine.ts); scheduled ones by its scheduler. Kept here, beside the
 * metric catalog, so the REST API can list them without importing ingest.
 */
export interface AlertRuleDef {
  id: AlertRuleId;
  kind: 'reading' | 'scheduled';
  metric: string | null;
  severity: AlertSeverity;
  description: string;
  source: string;
  defaults: Readonly<Record<string, number>>;
}

export const ALERT_RULES: readonly AlertRuleDef[] = [
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

