import { z } from 'zod';
import { DeviceId, EventId, UserId } from './ids.js';
import { MEALS, METRIC_IDS, METRICS, type MetricSpec } from './metrics.js';
import { storableProblems } from './storable.js';
import type { CodesOf } from './errors.js';

export const Instant = z.object({ at: z.iso.datetime({ offset: true }) }).strict();
export const Interval = z
  .object({ start: z.iso.datetime({ offset: true }), end: z.iso.datetime({ offset: true }) })
  .strict()
  .refine((t) => Date.parse(t.start) <= Date.parse(t.end), { error: 'interval end is before its start' });
export const EventTime = z.union([Instant, Interval]);
export type EventTime = z.infer<typeof EventTime>;

export const Quantity = z.object({ value: z.number().finite(), unit: z.string().min(1) }).strict();
export type Quantity = z.infer<typeof Quantity>;

/** Longest food description kept (characters). */
export const MAX_NOTE_CHARS = 500;

/**
 * The text a reading may carry besides numbers (a food log's description and meal). Bounded,
 * and checked by `storableProblems` like every other string (no NUL, no lone surrogate).
 */
export const EventNotes = z.object({
  description: z.string().min(1).max(MAX_NOTE_CHARS).optional(),
  meal: z.enum(MEALS).optional(),
}).strict();
export type EventNotes = z.infer<typeof EventNotes>;

export const Series = z.object({ unit: z.string().min(1), values: z.array(z.number().finite()).max(4096) }).strict();

/**
 * The canonical event: one shape for everything a device can say. `values` holds the
 * metric's components by name (e.g. `bpm`, or `systolic`/`diastolic`), each with its
 * UCUM unit; `series` carries sample arrays such as RR intervals.
 */
export const CanonicalEventBase = z
  .object({
    id: EventId,
    userId: UserId,
    deviceId: DeviceId,
    metric: z.enum(METRIC_IDS),
    time: EventTime,
    values: z.record(z.string(), Quantity),
    series: z.record(z.string(), Series).optional(),
    notes: EventNotes.optional(),
    source: z.object({ adapter: z.string().min(1), receivedAt: z.iso.datetime({ offset: true }) }).strict(),
  })
  .strict();

const addProblems = (problems: readonly { message: string; path: (string | number)[]; reason: string }[], ctx: z.RefinementCtx) => {
  for (const problem of problems) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path, params: { reason: problem.reason } });
};

/** The event checked against its metric's catalog entry only: for callers that ran `storableProblems` themselves (ingest, once per reading). */
export const CatalogCheckedEvent = CanonicalEventBase.superRefine((event, ctx) => addProblems(checkAgainstCatalog(event, METRICS[event.metric]), ctx));

export const CanonicalEvent = CanonicalEventBase.superRefine((event, ctx) => {
  // Nothing that reaches the writer may make a database statement fail (see storable.ts).
  addProblems([...storableProblems(event), ...checkAgainstCatalog(event, METRICS[event.metric])], ctx);
});
export type CanonicalEvent = z.infer<typeof CanonicalEventBase>;

export interface CatalogProblem {
  reason: CodesOf<'PH_EVENT_'>;
  message: string;
  path: (string | number)[];
}

/** Checks an event against its metric's spec: components, units, physiological ranges, time kind. */
export function checkAgainstCatalog(event: z.infer<typeof CanonicalEventBase>, spec: MetricSpec): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  const isInterval = 'start' in event.time;
  if (spec.time === 'instant' && isInterval) {
    problems.push({ reason: 'PH_EVENT_WRONG_TIME_KIND', message: `${spec.id} is an instant reading: use time.at`, path: ['time'] });
  }
  if (spec.time === 'interval' && !isInterval) {
    problems.push({ reason: 'PH_EVENT_WRONG_TIME_KIND', message: `${spec.id} covers an interval: use time.start and time.end`, path: ['time'] });
  }
  for (const [name, comp] of Object.entries(spec.components)) {
    if (comp.required && !(name in event.values)) {
      problems.push({ reason: 'PH_EVENT_MISSING_COMPONENT', message: `${spec.id} needs a value for "${name}"`, path: ['values', name] });
    }
  }
  if (spec.atLeastOne && Object.keys(event.values).length === 0) {
    problems.push({ reason: 'PH_EVENT_MISSING_COMPONENT', message: `${spec.id} needs at least one of ${Object.keys(spec.components).join(', ')}`, path: ['values'] });
  }
  if (event.notes !== undefined && spec.id !== 'food') {
    problems.push({ reason: 'PH_EVENT_UNKNOWN_COMPONENT', message: `${spec.id} carries no notes (only food does)`, path: ['notes'] });
  }
  for (const [name, q] of Object.entries(event.values)) {
    const comp = spec.components[name];
    if (!comp) {
      problems.push({ reason: 'PH_EVENT_UNKNOWN_COMPONENT', message: `${spec.id} has no component "${name}" (known: ${Object.keys(spec.components).join(', ')})`, path: ['values', name] });
      continue;
    }
    if (q.unit !== comp.unit) {
      problems.push({ reason: 'PH_EVENT_WRONG_UNIT', message: `${spec.id}.${name} must be in ${comp.unit}, got ${q.unit}`, path: ['values', name, 'unit'] });
    } else if (q.value < comp.min || q.value > comp.max) {
      problems.push({ reason: 'PH_EVENT_OUT_OF_RANGE', message: `${spec.id}.${name} = ${q.value} ${q.unit} is outside ${comp.min}..${comp.max}`, path: ['values', name, 'value'] });
    }
  }
  for (const [name, s] of Object.entries(event.series ?? {})) {
    const spec2 = spec.series?.[name];
    if (!spec2) {
      problems.push({ reason: 'PH_EVENT_UNKNOWN_COMPONENT', message: `${spec.id} has no series "${name}"`, path: ['series', name] });
    } else if (s.unit !== spec2.unit) {
      problems.push({ reason: 'PH_EVENT_WRONG_UNIT', message: `${spec.id} series ${name} must be in ${spec2.unit}`, path: ['series', name, 'unit'] });
    } else if (s.values.some((v) => v < spec2.min || v > spec2.max)) {
      problems.push({ reason: 'PH_EVENT_OUT_OF_RANGE', message: `${spec.id} series ${name} has values outside ${spec2.min}..${spec2.max}`, path: ['series', name] });
    }
  }
  return problems;
}

/** The instant an event is filed under: `at`, or the interval's end. */
export function eventInstant(time: EventTime): string {
  return 'at' in time ? time.at : time.end;
}

/** The primary value of an event (the tile's number), or undefined. */
export function primaryValue(event: CanonicalEvent): number | undefined {
  return event.values[METRICS[event.metric].primary]?.value;
}
