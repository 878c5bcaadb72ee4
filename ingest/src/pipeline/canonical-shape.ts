import { ID_PATTERN, MEALS, MAX_NOTE_CHARS, METRICS, type CanonicalEvent } from '@pulsehub/contracts';
import { z } from 'zod';

/**
 * The structure `CanonicalEventBase` checks, as one plain pass without zod (issue 17 §4: the
 * adapter's schema already proved the input; a second zod pass per reading cost the hub's loop
 * more than the adapter did). `true` only when zod would accept the event unchanged; anything
 * else (a doubt included) answers `false`, and the caller runs the zod schema for its verdict
 * and its message, so dead letters read exactly as before. `canonical-shape.test.ts` checks
 * the two agree on generated events.
 */
export function isCanonicalShape(e: unknown): e is CanonicalEvent {
  if (!isRecord(e)) return false;
  for (const k in e) if (!Object.hasOwn(e, k) || !TOP_KEYS.has(k)) return false;
  const { id, userId, deviceId, metric, time, values, series, notes, source } = e;
  if (typeof id !== 'string' || id.length < 1 || id.length > 128) return false;
  if (typeof userId !== 'string' || !ID_PATTERN.test(userId)) return false;
  if (typeof deviceId !== 'string' || !ID_PATTERN.test(deviceId)) return false;
  if (typeof metric !== 'string' || !Object.hasOwn(METRICS, metric)) return false;
  if (!isTime(time)) return false;
  if (!isRecord(values)) return false;
  for (const k in values) {
    if (!Object.hasOwn(values, k)) return false;
    const q = values[k];
    if (!isRecord(q) || !onlyKeys(q, 2, 'value', 'unit')) return false;
    if (typeof q.value !== 'number' || !Number.isFinite(q.value) || !isNonEmpty(q.unit)) return false;
  }
  if (series !== undefined) {
    if (!isRecord(series)) return false;
    for (const k in series) {
      if (!Object.hasOwn(series, k)) return false;
      const s = series[k];
      if (!isRecord(s) || !onlyKeys(s, 2, 'unit', 'values') || !isNonEmpty(s.unit)) return false;
      const xs = s.values;
      if (!Array.isArray(xs) || xs.length > 4096) return false;
      for (let i = 0; i < xs.length; i++) if (typeof xs[i] !== 'number' || !Number.isFinite(xs[i])) return false;
    }
  }
  if (notes !== undefined) {
    if (!isRecord(notes)) return false;
    for (const k in notes) if (!Object.hasOwn(notes, k) || (k !== 'description' && k !== 'meal')) return false;
    const { description, meal } = notes;
    if (description !== undefined && (typeof description !== 'string' || description.length < 1 || description.length > MAX_NOTE_CHARS)) return false;
    if (meal !== undefined && !(MEALS as readonly unknown[]).includes(meal)) return false;
  }
  if (!isRecord(source) || !onlyKeys(source, 2, 'adapter', 'receivedAt')) return false;
  return isNonEmpty(source.adapter) && isIso(source.receivedAt);
}

const TOP_KEYS = new Set(['id', 'userId', 'deviceId', 'metric', 'time', 'values', 'series', 'notes', 'source']);
/** The pattern of `z.iso.datetime({ offset: true })`, taken from zod so the two cannot drift. */
const ISO = z.regexes.datetime({ offset: true });

const isRecord = (x: unknown): x is Record<string, unknown> => {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
};
const isNonEmpty = (x: unknown): boolean => typeof x === 'string' && x.length > 0;
const isIso = (x: unknown): x is string => typeof x === 'string' && ISO.test(x);

/** Exactly these own keys, all present (none undefined). */
function onlyKeys(o: Record<string, unknown>, n: number, a: string, b: string): boolean {
  let count = 0;
  for (const k in o) {
    if (!Object.hasOwn(o, k) || (k !== a && k !== b)) return false;
    count++;
  }
  return count === n;
}

function isTime(t: unknown): boolean {
  if (!isRecord(t)) return false;
  if (Object.hasOwn(t, 'at')) return onlyKeys(t, 1, 'at', 'at') && isIso(t.at);
  if (!onlyKeys(t, 2, 'start', 'end') || !isIso(t.start) || !isIso(t.end)) return false;
  return Date.parse(t.start) <= Date.parse(t.end);
}
