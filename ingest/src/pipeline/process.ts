import {
  CatalogCheckedEvent,
  checkAgainstCatalog,
  isPulseHubError,
  METRICS,
  parseStampedEventsTopic,
  storableProblems,
  type CanonicalEvent as Event,
  type ErrorCode,
} from '@pulsehub/contracts';
import { z } from 'zod';
import type { AdapterRegistry } from '../adapters/registry.js';
import { chooseAdapter, type DeviceAdapters } from './adapter-policy.js';
import { isCanonicalShape } from './canonical-shape.js';

export const MAX_PAYLOAD_BYTES = 256 * 1024;

export interface Rejection {
  reason: ErrorCode;
  detail: string;
}

export interface ProcessResult {
  userId: string | null;
  deviceId: string | null;
  events: Event[];
  /** Set when (part of) the message could not be accepted; the raw message is kept as a dead letter. */
  rejection: Rejection | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const reject = (userId: string | null, deviceId: string | null, reason: ErrorCode, detail: string): ProcessResult => ({
  userId, deviceId, events: [], rejection: { reason, detail },
});

/**
 * One message through validation and its adapter. Pure: `device` is what the registry says
 * about the publishing device (undefined when it is not registered); see `chooseAdapter`.
 */
export function processMessage(
  topic: string,
  payload: Buffer,
  receivedAt: string,
  registry: AdapterRegistry,
  device: DeviceAdapters | undefined,
): ProcessResult {
  const ids = parseStampedEventsTopic(topic);
  if (!ids) return reject(null, null, 'PH_INGEST_BAD_TOPIC', `unexpected topic ${JSON.stringify(topic)}`);
  const { userId, publisherId: deviceId } = ids;
  if (payload.length > MAX_PAYLOAD_BYTES) {
    return reject(userId, deviceId, 'PH_INGEST_PAYLOAD_TOO_LARGE', `${payload.length} bytes > ${MAX_PAYLOAD_BYTES}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(payload));
  } catch (err) {
    return reject(userId, deviceId, 'PH_INGEST_PAYLOAD_NOT_JSON', (err as Error).message);
  }
  const named = typeof json === 'object' && json !== null && typeof (json as { format?: unknown }).format === 'string'
    ? (json as { format: string }).format
    : undefined;
  let events: Event[];
  try {
    // An adapter that does not exist is reported as such, before asking whether it is allowed.
    const adapter = registry.resolve(named !== undefined && !registry.get(named) ? named : chooseAdapter(named, device), undefined);
    const parsed = adapter.schema.safeParse(json);
    if (!parsed.success) return reject(userId, deviceId, 'PH_INGEST_SCHEMA_INVALID', `${adapter.id}: ${z.prettifyError(parsed.error)}`);
    events = adapter.normalize(parsed.data, { userId, deviceId, receivedAt });
  } catch (err) {
    if (isPulseHubError(err)) return reject(userId, deviceId, err.code, err.message);
    // An adapter bug must not stop ingest: keep the payload so it can be replayed after the fix.
    return reject(userId, deviceId, 'PH_INGEST_ADAPTER_FAILED', `${(err as Error).stack ?? String(err)}`.slice(0, 2000));
  }

  const accepted: Event[] = [];
  const problems: string[] = [];
  let reason: ErrorCode | null = null;
  for (const [i, event] of events.entries()) {
    // What the database would refuse is named as such (and never reaches the writer).
    const unstorable = storableProblems(event);
    if (unstorable.length > 0) {
      reason ??= unstorable[0]!.reason;
      problems.push(`reading ${i}: ${unstorable.map((p) => p.message).join('; ')}`);
      continue;
    }
    // Storability was checked just above: the catalog check only. The shape in one plain pass
    // (the adapter's schema already proved its input); zod only for what that pass doubts, so
    // a refused reading's reason and detail are zod's as before.
    if (isCanonicalShape(event) && checkAgainstCatalog(event, METRICS[event.metric]).length === 0) {
      if (event.userId !== userId) {
        reason ??= 'PH_INGEST_USER_MISMATCH';
        problems.push(`reading ${i}: user ${event.userId} is not the topic's user ${userId}`);
        continue;
      }
      accepted.push(event);
      continue;
    }
    const shape = CatalogCheckedEvent.safeParse(event);
    if (!shape.success) {
      const outOfRange = checkAgainstCatalog(event, METRICS[event.metric] ?? METRICS.heart_rate).some((p) => p.reason === 'PH_EVENT_OUT_OF_RANGE');
      reason ??= outOfRange ? 'PH_INGEST_OUT_OF_RANGE' : 'PH_INGEST_SCHEMA_INVALID';
      problems.push(`reading ${i}: ${z.prettifyError(shape.error)}`);
      continue;
    }
    if (event.userId !== userId) {
      reason ??= 'PH_INGEST_USER_MISMATCH';
      problems.push(`reading ${i}: user ${event.userId} is not the topic's user ${userId}`);
      continue;
    }
    accepted.push(shape.data);
  }
  return { userId, deviceId, events: accepted, rejection: reason ? { reason, detail: problems.join('\n') } : null };
}

