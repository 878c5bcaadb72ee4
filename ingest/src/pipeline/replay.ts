import type { ErrorCode } from '@pulsehub/contracts';
import type { Store } from '@pulsehub/store';
import { createAdapterRegistry, type AdapterRegistry } from '../adapters/registry.js';
import { toPolicy } from './devices.js';
import { processMessage } from './process.js';

export interface ReplayFilter {
  reason?: string;
  id?: number;
  /** At most this many dead letters per call (oldest first). */
  limit?: number;
}

export interface ReplayReport {
  /** Dead letters whose payload now goes through completely: stored and marked replayed. */
  replayed: { id: number; events: number; stored: number }[];
  /** Still rejected (any readings of them that pass are stored anyway); left pending. */
  failed: { id: number; reason: ErrorCode; detail: string }[];
}

/**
 * Re-runs `processMessage` on dead letters' stored raw bytes, with today's adapters and the
 * device's current registration, and stores what passes through the same idempotent batch
 * commit as live ingest (rollups included). A reading without an id gets the same stable id as
 * it would have the first time (the original receive time is kept), so replaying twice, or
 * replaying a message whose good readings were stored already, stores nothing twice.
 * Replayed readings are history: they are not republished on the live topics.
 */
export async function replayDeadLetters(store: Store, filter: ReplayFilter = {}, registry: AdapterRegistry = createAdapterRegistry()): Promise<ReplayReport> {
  const letters = await store.deadLetters.list({
    pending: true, limit: filter.limit ?? 1000,
    ...(filter.reason !== undefined ? { reason: filter.reason } : {}),
    ...(filter.id !== undefined ? { id: filter.id } : {}),
  });
  letters.sort((a, b) => a.id - b.id);
  const report: ReplayReport = { replayed: [], failed: [] };
  for (const dl of letters) {
    const device = dl.deviceId ? toPolicy(await store.devices.get(dl.deviceId)) : undefined;
    const r = processMessage(dl.topic, dl.payload, dl.receivedAt.toISOString(), registry, device);
    const users = r.userId ? [r.userId] : [];
    const { inserted } = r.events.length > 0 ? await store.observations.commitBatch({ events: r.events, users }) : { inserted: 0 };
    if (r.rejection) {
      report.failed.push({ id: dl.id, reason: r.rejection.reason, detail: r.rejection.detail.slice(0, 1000) });
      continue;
    }
    await store.deadLetters.markReplayed([dl.id]);
    report.replayed.push({ id: dl.id, events: r.events.length, stored: inserted });
  }
  return report;
}
