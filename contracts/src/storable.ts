/**
 * What Postgres accepts, checked before anything reaches the database: a device must not be
 * able to make a statement fail (one failing reading would hold up its whole batch).
 *
 * - text and jsonb refuse U+0000 (22P05) and lone UTF-16 surrogates (no UTF-8 encoding);
 * - timestamptz refuses a UTC offset beyond ±15:59 (22009) and year 0 (22008); JavaScript's
 *   extended years (`+275760-…`) are not in a form it reads at all.
 *
 * Readings are kept to the years 1900..9999 (UTC): a health reading from before 1900 is a
 * device clock fault, and 9999 is the last year ISO 8601 writes with four digits.
 */

/** A NUL, or a UTF-16 surrogate that is not half of a pair. */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE_TEXT = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_TEXT_G = new RegExp(UNSTORABLE_TEXT.source, 'g');

export function isStorableText(s: string): boolean {
  return !UNSTORABLE_TEXT.test(s);
}

/** The same text with every NUL and lone surrogate replaced by U+FFFD: for fields kept for people to read (dead letters). */
export function toStorableText(s: string): string {
  return UNSTORABLE_TEXT.test(s) ? s.replace(UNSTORABLE_TEXT_G, '\uFFFD') : s;
}

export const MIN_INSTANT_MS = Date.UTC(1900, 0, 1);
export const MAX_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** `YYYY-MM-DDTHH:MM[:SS[.fff…]](Z|±HH:MM)`: the ISO 8601 form zod's `iso.datetime({ offset: true })` admits. */
const OFFSET = /(?:[zZ]|([+-])(\d{2}):?(\d{2}))$/;

/** Why an ISO 8601 instant cannot be stored, or null when it can. */
export function instantProblem(iso: string): string | null {
  if (!/^\d{4}-/.test(iso)) return `${JSON.stringify(iso.slice(0, 40))} does not start with a four-digit year`;
  const m = OFFSET.exec(iso);
  if (!m) return `${JSON.stringify(iso.slice(0, 40))} has no UTC offset`;
  if (m[1] !== undefined && (Number(m[2]) > 15 || Number(m[3]) > 59)) {
    return `UTC offset ${m[1]}${m[2]}:${m[3]} is outside -15:59..+15:59`;
  }
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return `${JSON.stringify(iso.slice(0, 40))} is not a date-time`;
  if (ms < MIN_INSTANT_MS || ms > MAX_INSTANT_MS) return `${iso.slice(0, 40)} is outside the years 1900..9999 (UTC)`;
  return null;
}

export function isStorableInstant(iso: string): boolean {
  return instantProblem(iso) === null;
}

export interface StorableProblem {
  reason: 'PH_INGEST_UNSTORABLE_TEXT' | 'PH_INGEST_UNSTORABLE_INSTANT';
  message: string;
  path: (string | number)[];
}

interface EventLike {
  id: string;
  userId: string;
  deviceId: string;
  metric: string;
  time: { at: string } | { start: string; end: string };
  values: Record<string, { unit: string }>;
  series?: Record<string, { unit: string }> | undefined;
  notes?: { description?: string | undefined; meal?: string | undefined } | undefined;
  source: { adapter: string; receivedAt: string };
}

/** The common case, checked without allocating: `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` with an offset Postgres reads. */
const PLAIN_INSTANT = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-](?:0\d|1[0-5]):[0-5]\d)$/;

/** True for an instant in the years 1901..9998 in the plain form: no offset can move it out of range. */
function plainInstant(s: unknown): boolean {
  if (typeof s !== 'string') return true; // not an instant at all: the schema reports it
  const m = PLAIN_INSTANT.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  return year > 1900 && year < 9999 && !Number.isNaN(Date.parse(s));
}

/** Every string and instant of a canonical event that Postgres would refuse. */
export function storableProblems(event: EventLike): StorableProblem[] {
  // Hot path (every reading): one regex over the strings, joined by a newline so a surrogate at
  // the end of one cannot pair with the start of the next, and the instants in their plain form.
  const t = event.time as Record<string, unknown> | undefined;
  let joined = `${event.id}\n${event.userId}\n${event.deviceId}\n${event.metric}\n${event.source?.adapter}`;
  for (const name in event.values) joined += `\n${name}\n${(event.values[name] as { unit?: unknown } | undefined)?.unit}`;
  if (event.series) for (const name in event.series) joined += `\n${name}\n${(event.series[name] as { unit?: unknown } | undefined)?.unit}`;
  if (event.notes) joined += `\n${event.notes.description ?? ''}\n${event.notes.meal ?? ''}`;
  if (isStorableText(joined) && plainInstant(event.source?.receivedAt) && plainInstant(t?.at) && plainInstant(t?.start) && plainInstant(t?.end)) return [];
  return describeProblems(event);
}

/** The slow path: which strings and instants, with a message each. */
function describeProblems(event: EventLike): StorableProblem[] {
  const problems: StorableProblem[] = [];
  const text = (s: unknown, path: (string | number)[]) => {
    if (typeof s === 'string' && !isStorableText(s)) problems.push({ reason: 'PH_INGEST_UNSTORABLE_TEXT', message: `${path.join('.')} holds a NUL or a lone UTF-16 surrogate`, path });
  };
  const instant = (s: unknown, path: (string | number)[]) => {
    const problem = typeof s === 'string' ? instantProblem(s) : null;
    if (problem) problems.push({ reason: 'PH_INGEST_UNSTORABLE_INSTANT', message: `${path.join('.')}: ${problem}`, path });
  };
  text(event.id, ['id']);
  text(event.userId, ['userId']);
  text(event.deviceId, ['deviceId']);
  text(event.metric, ['metric']);
  text(event.source?.adapter, ['source', 'adapter']);
  text(event.notes?.description, ['notes', 'description']);
  text(event.notes?.meal, ['notes', 'meal']);
  instant(event.source?.receivedAt, ['source', 'receivedAt']);
  const t = event.time as Record<string, unknown> | undefined;
  for (const k of ['at', 'start', 'end'] as const) if (t && k in t) instant(t[k], ['time', k]);
  for (const [group, record] of [['values', event.values], ['series', event.series]] as const) {
    for (const [name, q] of Object.entries(record ?? {})) {
      text(name, [group, '(name)']);
      text((q as { unit?: unknown } | undefined)?.unit, [group, '(unit)']);
    }
  }
  return problems;
}
