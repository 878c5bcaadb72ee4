import { MAX_INSTANT_MS, MIN_INSTANT_MS, PulseHubError, canonicalQuantity, instantProblem, type CanonicalEvent, type EventTime, type MetricId } from '@pulsehub/contracts';
import type { AdapterContext } from './types.js';
import { stableEventId } from './event-id.js';

/**
 * Small helpers shared by the vendor adapters. Every adapter emits UTC instants
 * (`toISOString()`), so the same reading always gets the same time string and id.
 */

/** Epoch milliseconds → ISO UTC instant; throws UNSTORABLE_INSTANT outside the years the database keeps. */
export function fromEpochMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < MIN_INSTANT_MS || ms > MAX_INSTANT_MS) {
    throw new PulseHubError('PH_INGEST_UNSTORABLE_INSTANT', `epoch ${String(ms).slice(0, 40)} ms is outside the years 1900..9999`);
  }
  return new Date(ms).toISOString();
}

/** Epoch seconds → ISO UTC instant. */
export const fromEpochSeconds = (s: number): string => fromEpochMs(s * 1000);

/** Any ISO 8601 date-time with offset → the same instant in UTC; throws SCHEMA_INVALID on garbage, UNSTORABLE_INSTANT when the database could not keep it. */
export function toUtc(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new PulseHubError('PH_INGEST_SCHEMA_INVALID', `not a date-time: ${JSON.stringify(iso.slice(0, 64))}`);
  const problem = instantProblem(iso);
  if (problem) throw new PulseHubError('PH_INGEST_UNSTORABLE_INSTANT', problem);
  return fromEpochMs(ms);
}

/** An instant, or an interval when start and end differ. */
export function timeOf(start: string, end?: string): EventTime {
  return end === undefined || end === start ? { at: start } : { start, end };
}

export const timeKey = (t: EventTime): string => ('at' in t ? t.at : `${t.start}/${t.end}`);

/** `[component, value, unit?]`: the unit, when given, is converted to the component's canonical unit. */
export type ValueInput = readonly [component: string, value: number, unit?: string];

export interface EventDraft {
  metric: MetricId;
  time: EventTime;
  values: readonly ValueInput[];
  /** The vendor's id for this reading; else a stable hash of device, metric and time. */
  id?: string;
  /** Disambiguates hashed ids of readings that share device, metric and time (e.g. the source type). */
  idExtra?: string;
  series?: CanonicalEvent['series'];
}

/** Builds a canonical event, converting units (throws PH_INGEST_UNKNOWN_UNIT / _COMPONENT). */
export function buildEvent(adapter: string, ctx: AdapterContext, d: EventDraft): CanonicalEvent {
  const values: CanonicalEvent['values'] = {};
  for (const [name, value, unit] of d.values) values[name] = canonicalQuantity(d.metric, name, value, unit);
  const event: CanonicalEvent = {
    id: d.id ?? stableEventId(ctx.deviceId, d.metric, timeKey(d.time), d.idExtra ?? ''),
    userId: ctx.userId,
    deviceId: ctx.deviceId,
    metric: d.metric,
    time: d.time,
    values,
    source: { adapter, receivedAt: ctx.receivedAt },
  };
  if (d.series !== undefined) event.series = d.series;
  return event;
}
