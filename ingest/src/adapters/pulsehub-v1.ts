import { METRICS, PulseHubError, toCanonical, type EventTime, type MetricSpec, PulseHubPayload, type CanonicalEvent, type MetricId, type PulseHubReading } from '@pulsehub/contracts';
import { defineAdapter, type AdapterContext } from './types.js';
import { stableEventId } from './event-id.js';

/** One pulsehub.v1 reading to a canonical event; `adapter` names the source (the manual adapter shares this mapping). */
export function readingToEvent(r: PulseHubReading, ctx: AdapterContext, adapter = 'pulsehub.v1', idExtra?: () => string): CanonicalEvent {
  if (!(r.metric in METRICS)) {
    throw new PulseHubError('PH_INGEST_SCHEMA_INVALID', `unknown metric "${r.metric}" (known: ${Object.keys(METRICS).join(', ')})`);
  }
  const metric = r.metric as MetricId;
  const spec: MetricSpec = METRICS[metric];
  if (r.userId !== undefined && r.userId !== ctx.userId) {
    throw new PulseHubError('PH_INGEST_USER_MISMATCH', `payload names user ${r.userId} but was published to ${ctx.userId}'s topic`);
  }
  // The broker stamped who published; a payload may not attribute the reading to another device.
  if (r.deviceId !== undefined && r.deviceId !== ctx.deviceId) {
    throw new PulseHubError('PH_INGEST_SCHEMA_INVALID', `payload names device ${r.deviceId} but was published by ${ctx.deviceId}`);
  }
  if ((r.start === undefined) !== (r.end === undefined)) {
    throw new PulseHubError('PH_INGEST_SCHEMA_INVALID', 'give both start and end, or neither');
  }
  if (r.at !== undefined && r.start !== undefined) {
    throw new PulseHubError('PH_INGEST_SCHEMA_INVALID', 'give either at or start/end, not both');
  }
  const time: EventTime = r.start !== undefined && r.end !== undefined ? { start: r.start, end: r.end } : { at: r.at ?? ctx.receivedAt };
  const values: CanonicalEvent['values'] = {};
  for (const [name, v] of Object.entries(r.values)) {
    const unit = spec.components[name]?.unit;
    if (typeof v === 'number') values[name] = { value: v, unit: unit ?? '1' };
    // A known component given in another unit is converted (lb → kg, [degF] → Cel, ...); an
    // unknown component is kept as sent so the catalog check names it.
    else if (unit !== undefined && v.unit !== unit) values[name] = { value: toCanonical(metric, name, v.value, v.unit), unit };
    else values[name] = v;
  }
  const deviceId = ctx.deviceId;
  const timeKey = 'at' in time ? time.at : `${time.start}/${time.end}`;
  const event: CanonicalEvent = {
    id: r.id ?? stableEventId(deviceId, metric, timeKey, idExtra?.() ?? ''),
    userId: ctx.userId,
    deviceId,
    metric,
    time,
    values,
    source: { adapter, receivedAt: ctx.receivedAt },
  };
  if (r.rr !== undefined) event.series = { rr: { unit: 'ms', values: r.rr } };
  // Named series take the catalog's unit; an unknown name is kept so the catalog check refuses it.
  for (const [name, values] of Object.entries(r.series ?? {})) {
    const unit = spec.series?.[name]?.unit ?? '1';
    event.series = { ...event.series, [name]: { unit, values } };
  }
  if (r.laps !== undefined) event.series = { ...event.series, laps: { unit: 's', values: r.laps } };
  if (r.notes !== undefined) event.notes = r.notes;
  return event;
}

/** PulseHub's own JSON format; documented in the README ("Payload format"). */
export const pulsehubV1 = defineAdapter({
  id: 'pulsehub.v1',
  description: "PulseHub JSON: one reading, or { readings: [...] }, values in the metric's canonical units",
  schema: PulseHubPayload,
  normalize(input, ctx) {
    const readings = 'readings' in input ? input.readings : [input];
    return readings.map((r) => readingToEvent(r, ctx));
  },
});
