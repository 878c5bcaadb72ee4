import { z } from 'zod';
import { UserId } from './ids.js';

/**
 * Goals a person sets, and how progress toward one is measured. Progress comes from the
 * per-local-day rollups (store `local_daily_rollups`), never from raw readings per request.
 *
 * | kind | measured per period | met when |
 * |---|---|---|
 * | `daily_steps` | steps | sum ≥ target |
 * | `weekly_active_minutes` | minutes in HR zone ≥ 2 | sum ≥ target |
 * | `weekly_workouts` | workouts | count ≥ target |
 * | `target_weight` | newest day's mean weight (kg) | ≤ target (`direction: down`) or ≥ (`up`) |
 * | `nightly_sleep_hours` | hours asleep (sleep ending that day) | ≥ target |
 * | `weekly_mindfulness_minutes` | mindfulness minutes | sum ≥ target |
 * | `bp_under` | mean systolic / diastolic | both below target / targetDiastolic |
 */
export const GOAL_KINDS = [
  'daily_steps', 'weekly_active_minutes', 'weekly_workouts', 'target_weight',
  'nightly_sleep_hours', 'weekly_mindfulness_minutes', 'bp_under',
] as const;
export type GoalKind = (typeof GOAL_KINDS)[number];
export const GOAL_FREQUENCIES = ['daily', 'weekly', 'once'] as const;
export type GoalFrequency = (typeof GOAL_FREQUENCIES)[number];
export const GOAL_STATUSES = ['active', 'completed', 'abandoned'] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

/** The metrics each goal kind measures: a reading of another metric does not move it. */
export const GOAL_KIND_METRICS: Readonly<Record<GoalKind, readonly string[]>> = {
  daily_steps: ['steps'], weekly_workouts: ['workout'], target_weight: ['body_weight'], nightly_sleep_hours: ['sleep'],
  weekly_mindfulness_minutes: ['mindfulness'], bp_under: ['blood_pressure'],
  // Time in zones comes from the rollup refresher over a day's heart rate, not from one reading.
  weekly_active_minutes: [],
};

/** The frequency a kind gets when none is given. */
export const DEFAULT_GOAL_FREQUENCY: Readonly<Record<GoalKind, GoalFrequency>> = {
  daily_steps: 'daily', weekly_active_minutes: 'weekly', weekly_workouts: 'weekly', target_weight: 'once',
  nightly_sleep_hours: 'daily', weekly_mindfulness_minutes: 'weekly', bp_under: 'weekly',
};

/** Unit of a kind's target (UCUM). */
export const GOAL_UNITS: Readonly<Record<GoalKind, string>> = {
  daily_steps: '{steps}', weekly_active_minutes: 'min', weekly_workouts: '{count}', target_weight: 'kg',
  nightly_sleep_hours: 'h', weekly_mindfulness_minutes: 'min', bp_under: 'mm[Hg]',
};

const TARGET_MAX: Readonly<Record<GoalKind, number>> = {
  daily_steps: 200_000, weekly_active_minutes: 10_080, weekly_workouts: 100, target_weight: 650,
  nightly_sleep_hours: 24, weekly_mindfulness_minutes: 10_080, bp_under: 300,
};

const Day = z.iso.date({ error: 'must be a day YYYY-MM-DD' });

const GoalFields = {
  kind: z.enum(GOAL_KINDS, { error: `kind must be one of ${GOAL_KINDS.join(', ')}` }),
  frequency: z.enum(GOAL_FREQUENCIES, { error: `frequency must be one of ${GOAL_FREQUENCIES.join(', ')}` }),
  target: z.number({ error: 'target must be a number' }).positive({ error: 'target must be above 0' }),
  /** bp_under only: the diastolic bound (default 80). */
  targetDiastolic: z.number().positive().max(200),
  /** target_weight only: lose toward the target (`down`, default) or gain (`up`). */
  direction: z.enum(['down', 'up']),
  startDate: Day,
  targetDate: Day,
  status: z.enum(GOAL_STATUSES, { error: `status must be one of ${GOAL_STATUSES.join(', ')}` }),
  /** 1 (highest) .. 5. */
  priority: z.number().int({ error: 'priority must be a whole number 1..5' }).min(1).max(5),
  title: z.string().min(1).max(200),
};

function checkGoal(g: { kind?: GoalKind; frequency?: GoalFrequency; target?: number; startDate?: string; targetDate?: string | null }, ctx: z.RefinementCtx) {
  if (g.kind && g.target !== undefined && g.target > TARGET_MAX[g.kind]) {
    ctx.addIssue({ code: 'custom', path: ['target'], message: `a ${g.kind} target is at most ${TARGET_MAX[g.kind]} ${GOAL_UNITS[g.kind]}` });
  }
  if (g.startDate && g.targetDate && g.targetDate < g.startDate) ctx.addIssue({ code: 'custom', path: ['targetDate'], message: 'targetDate must not be before startDate' });
  if (g.frequency === 'once' && g.targetDate === undefined) ctx.addIssue({ code: 'custom', path: ['targetDate'], message: 'a goal with frequency "once" needs a targetDate' });
}

/** POST /api/users/:id/goals */
export const GoalCreate = z.object({
  ...GoalFields,
  frequency: GoalFields.frequency.optional(),
  targetDiastolic: GoalFields.targetDiastolic.optional(),
  direction: GoalFields.direction.optional(),
  startDate: GoalFields.startDate.optional(),
  targetDate: GoalFields.targetDate.optional(),
  status: GoalFields.status.default('active'),
  priority: GoalFields.priority.default(3),
  title: GoalFields.title.optional(),
}).strict().transform((g) => ({ ...g, frequency: g.frequency ?? DEFAULT_GOAL_FREQUENCY[g.kind] })).superRefine(checkGoal);
export type GoalCreate = z.output<typeof GoalCreate>;

/** PUT /api/users/:id/goals/:goalId: the fields to change (kind cannot change). */
export const GoalUpdate = z.object({
  frequency: GoalFields.frequency.optional(),
  target: GoalFields.target.optional(),
  targetDiastolic: GoalFields.targetDiastolic.nullable().optional(),
  direction: GoalFields.direction.optional(),
  startDate: GoalFields.startDate.optional(),
  targetDate: GoalFields.targetDate.nullable().optional(),
  status: GoalFields.status.optional(),
  priority: GoalFields.priority.optional(),
  title: GoalFields.title.nullable().optional(),
}).strict().refine((g) => Object.keys(g).length > 0, { error: 'name at least one field to change' });
export type GoalUpdate = z.output<typeof GoalUpdate>;

export const GoalJson = z.object({
  id: z.string(),
  userId: UserId,
  kind: z.enum(GOAL_KINDS),
  frequency: z.enum(GOAL_FREQUENCIES),
  target: z.number(),
  targetDiastolic: z.number().nullable(),
  direction: z.enum(['down', 'up']),
  unit: z.string(),
  startDate: z.string(),
  targetDate: z.string().nullable(),
  status: z.enum(GOAL_STATUSES),
  priority: z.number().int(),
  title: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type GoalJson = z.infer<typeof GoalJson>;

/** One period of a goal: [start, end] local days of the athlete (inclusive). */
export const GoalPeriod = z.object({
  start: z.string(),
  end: z.string(),
  /** Measured value (null: nothing measured in this period). */
  value: z.number().nullable(),
  target: z.number(),
  /** value / target for "at least" goals, capped at 1; 1 or 0 for "below" goals. */
  fraction: z.number(),
  met: z.boolean(),
});
export type GoalPeriod = z.infer<typeof GoalPeriod>;

export const GoalProgress = z.object({
  goal: GoalJson,
  timeZone: z.string(),
  periods: z.array(GoalPeriod),
  /** The period holding today (in the athlete's time zone), when it is in range. */
  current: GoalPeriod.nullable(),
  /** Consecutive periods met, ending with the current one (if met) or the one before. */
  streak: z.number().int(),
});
export type GoalProgress = z.infer<typeof GoalProgress>;
