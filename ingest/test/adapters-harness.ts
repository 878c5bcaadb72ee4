import { CanonicalEvent, checkAgainstCatalog, isPulseHubError, METRICS, type ErrorCode } from '@pulsehub/contracts';
import type { Adapter, AdapterContext } from '../src/adapters/types.js';

/** Shared by the adapters-*.test.ts files: one payload through an adapter the way ingest runs it. */
export const CTX: AdapterContext = { userId: 'ana', deviceId: 'bridge-1', receivedAt: '2026-03-02T12:00:00.000Z' };

export type Outcome = { ok: true; events: CanonicalEvent[] } | { ok: false; reason: ErrorCode | 'PH_EVENT_REJECTED'; detail: string };

/**
 * Schema → normalize → catalog check, mapping failures to the dead-letter reason codes the
 * pipeline uses: PH_INGEST_SCHEMA_INVALID, codes thrown by normalize (unknown unit, ...), and
 * PH_INGEST_OUT_OF_RANGE for a value outside its physiological range.
 */
export function run<I>(a: Adapter<I>, payload: unknown, ctx: AdapterContext = CTX): Outcome {
  const parsed = a.schema.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: 'PH_INGEST_SCHEMA_INVALID', detail: parsed.error.message };
  let events: CanonicalEvent[];
  try {
    events = a.normalize(parsed.data, ctx);
  } catch (err) {
    if (isPulseHubError(err)) return { ok: false, reason: err.code, detail: err.message };
    throw err;
  }
  for (const event of events) {
    const problems = checkAgainstCatalog(event, METRICS[event.metric]);
    if (problems.some((p) => p.reason === 'PH_EVENT_OUT_OF_RANGE')) return { ok: false, reason: 'PH_INGEST_OUT_OF_RANGE', detail: problems[0]!.message };
    const shape = CanonicalEvent.safeParse(event);
    if (!shape.success) return { ok: false, reason: 'PH_INGEST_SCHEMA_INVALID', detail: shape.error.message };
  }
  return { ok: true, events };
}

/** The events, or a thrown error naming the reason (for tests of good payloads). */
export function events<I>(adapter: Adapter<I>, payload: unknown, ctx?: AdapterContext): CanonicalEvent[] {
  const out = run(adapter, payload, ctx);
  if (!out.ok) throw new Error(`${out.reason}: ${out.detail}`);
  return out.events;
}

export function reason<I>(adapter: Adapter<I>, payload: unknown, ctx?: AdapterContext): string | undefined {
  const out = run(adapter, payload, ctx);
  return out.ok ? undefined : out.reason;
}

/** `{ component: value }` of an event, for compact expectations. */
export const vals = (e: CanonicalEvent | undefined): Record<string, number> =>
  Object.fromEntries(Object.entries(e?.values ?? {}).map(([k, q]) => [k, q.value]));
