import type { CanonicalEvent, MetricId } from '@pulsehub/contracts';
import type { observations } from './schema.js';

/** A stored observation row back to the canonical event it came from. */
export function toEvent(row: typeof observations.$inferSelect): CanonicalEvent {
  const start = row.timeStart.toISOString();
  const end = row.timeEnd.toISOString();
  const event: CanonicalEvent = {
    id: row.id,
    userId: row.userId,
    deviceId: row.deviceId,
    metric: row.metric as MetricId,
    time: start === end ? { at: start } : { start, end },
    values: row.values as CanonicalEvent['values'],
    source: { adapter: row.adapter, receivedAt: row.receivedAt.toISOString() },
  };
  if (row.series) event.series = row.series as NonNullable<CanonicalEvent['series']>;
  if (row.notes) event.notes = row.notes as NonNullable<CanonicalEvent['notes']>;
  return event;
}
