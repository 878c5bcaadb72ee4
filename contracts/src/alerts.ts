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
