import { describe, expect, it } from 'vitest';
import { createAdapterRegistry, processMessage } from '@pulsehub/ingest';

const registry = createAdapterRegistry();
const at = '2026-11-22T10:00:00.000Z';
const run = (payload: unknown, topic = 'users/ana/events/w1') =>
  processMessage(topic, Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)), at, registry, undefined);

describe('processMessage (pulsehub.v1)', () => {
  it('normalizes a plain-number reading into canonical units, time defaulting to receipt', () => {
    const r = run({ metric: 'heart_rate', values: { bpm: 72 }, rr: [833] });
    expect(r.rejection).toBeNull();
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ userId: 'ana', deviceId: 'w1', metric: 'heart_rate', time: { at }, values: { bpm: { value: 72, unit: '/min' } }, series: { rr: { unit: 'ms', values: [833] } } });
  });

  it('gives a reading without id a stable id, so a redelivery is stored once', () => {
    const a = run({ metric: 'steps', start: '2026-11-22T09:00:00Z', end: '2026-11-22T10:00:00Z', values: { count: 1200 } });
    const b = run({ metric: 'steps', start: '2026-11-22T09:00:00Z', end: '2026-11-22T10:00:00Z', values: { count: 1200 } });
    expect(a.events[0]!.id).toBe(b.events[0]!.id);
    const other = run({ metric: 'steps', start: '2026-11-22T10:00:00Z', end: '2026-11-22T11:00:00Z', values: { count: 1200 } });
    expect(other.events[0]!.id).not.toBe(a.events[0]!.id);
  });

  it('accepts a batch and keeps the good readings when one is out of range', () => {
    const r = run({ readings: [{ id: 'a', metric: 'heart_rate', values: { bpm: 70 } }, { id: 'b', metric: 'heart_rate', values: { bpm: 900 } }] });
    expect(r.events.map((e) => e.id)).toEqual(['a']);
    expect(r.rejection?.reason).toBe('PH_INGEST_OUT_OF_RANGE');
    expect(r.rejection?.detail).toContain('reading 1');
  });

  it.each([
    ['a topic that is not stamped by the broker', { metric: 'heart_rate', values: { bpm: 70 } }, 'users/ana/events', 'PH_INGEST_BAD_TOPIC'],
    ['a unit the metric does not use', { metric: 'heart_rate', values: { bpm: { value: 70, unit: 'kg' } } }, undefined, 'PH_INGEST_UNKNOWN_UNIT'],
    ['an instant metric given an interval', { metric: 'heart_rate', start: at, end: at, values: { bpm: 70 } }, undefined, 'PH_INGEST_SCHEMA_INVALID'],
    ['unknown fields', { metric: 'heart_rate', values: { bpm: 70 }, extra: 1 }, undefined, 'PH_INGEST_SCHEMA_INVALID'],
    ['an array payload', [1, 2], undefined, 'PH_INGEST_SCHEMA_INVALID'],
    ['a reading attributed to another device than the publisher', { metric: 'heart_rate', deviceId: 'someone-else', values: { bpm: 70 } }, undefined, 'PH_INGEST_SCHEMA_INVALID'],
  ])('rejects %s', (_n, payload, topic, reason) => {
    const r = run(payload, topic);
    expect(r.events).toEqual([]);
    expect(r.rejection?.reason).toBe(reason);
  });
});
