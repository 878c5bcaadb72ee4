import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { startIngestFixture, type IngestFixture } from './fixture.js';
import { waitFor } from '@pulsehub/testkit';
import { eventsTopic, type CanonicalEvent } from '@pulsehub/contracts';
import { BatchWriter, type IngestService } from '@pulsehub/ingest';
import type { Store } from '@pulsehub/store';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/**
 * The poison readings of issue 11, as the raw JSON text a device sends (escapes kept: a lone
 * surrogate or a NUL reaches the hub as `\ud800` / `\u0000` inside valid UTF-8 JSON).
 */
export const POISON: { name: string; json: string; reason: string }[] = [
  { name: 'UTC offset +23:59', json: '{"id":"p-offset","metric":"heart_rate","at":"2026-11-24T10:00:00+23:59","values":{"bpm":70}}', reason: 'PH_INGEST_UNSTORABLE_INSTANT' },
  { name: 'year 0000', json: '{"id":"p-year0","metric":"heart_rate","at":"0000-01-01T00:00:00Z","values":{"bpm":70}}', reason: 'PH_INGEST_UNSTORABLE_INSTANT' },
  { name: 'NUL in the id', json: '{"id":"p-\\u0000-nul","metric":"heart_rate","at":"2026-11-24T10:00:00Z","values":{"bpm":70}}', reason: 'PH_INGEST_UNSTORABLE_TEXT' },
  { name: 'lone surrogate in the id', json: '{"id":"p-\\ud800","metric":"heart_rate","at":"2026-11-24T10:00:00Z","values":{"bpm":70}}', reason: 'PH_INGEST_UNSTORABLE_TEXT' },
  { name: 'NUL in the metric', json: '{"id":"p-metric","metric":"heart\\u0000rate","at":"2026-11-24T10:00:00Z","values":{"bpm":70}}', reason: 'PH_INGEST_SCHEMA_INVALID' },
];

const hr = (id: string, userId: string, at: string): CanonicalEvent => ({
  id, userId, deviceId: 'w-direct', metric: 'heart_rate', time: { at }, values: { bpm: { value: 70, unit: '/min' } },
  source: { adapter: 'pulsehub.v1', receivedAt: '2026-11-24T10:00:00.000Z' },
});

describe.each(['postgres', 'pglite'] as const)('a poison reading on %s', (kind) => {
  let store: Store;
  let ingest: IngestService;

  let fixture: IngestFixture | undefined;
  beforeAll(async () => {
    fixture = await startIngestFixture(kind, `poison-${kind}`, log);
    ({ store, ingest } = fixture);
  }, 60_000);
  afterAll(() => fixture?.close());

  const device = (deviceId: string, userId: string): Promise<MqttClient> => fixture!.device(deviceId, userId);

  it('standalone consumer: each issue input becomes a dead letter with its reason, and a later reading of another device is stored and acknowledged', async () => {
    const bad = await device('w-poison', 'ana');
    const good = await device('w-good', 'ben');
    for (const p of POISON) await bad.publishAsync(eventsTopic('ana'), p.json, { qos: 1 });
    // The same in one message next to a good reading: the good one is stored, the message kept.
    await bad.publishAsync(eventsTopic('ana'), `{"readings":[{"id":"fine-1","metric":"heart_rate","at":"2026-11-24T10:00:00Z","values":{"bpm":71}},${POISON[1]!.json}]}`, { qos: 1 });
    await good.publishAsync(eventsTopic('ben'), JSON.stringify({ id: 'ben-after', metric: 'heart_rate', at: '2026-11-24T10:01:00Z', values: { bpm: 65 } }), { qos: 1 });
    await waitFor(async () => (await store.observations.latest('ben')).some((e) => e.id === 'ben-after'), { what: "ben's reading" });
    // Every message was acknowledged to the broker: none is stuck behind a failing commit.
    await waitFor(() => ingest.stats.unacked === 0, { what: 'no unacknowledged message' });
    expect(ingest.health.ok).toBe(true);
    expect((await store.observations.latest('ana')).map((e) => e.id)).toEqual(['fine-1']);
    const letters = await store.deadLetters.list({ limit: 100 });
    for (const p of POISON) expect(letters.some((l) => l.reason === p.reason && l.payload.toString() === p.json), p.name).toBe(true);
    expect(letters.filter((l) => l.payload.toString().includes('fine-1'))).toHaveLength(1);
    expect(ingest.stats.failedCommits).toBe(0);
  });

  it('writer: a batch the database refuses is split; the refused readings become dead letters with the database error, the rest is stored and every message acknowledged', async () => {
    // Readings that skip validation (as a buggy adapter or a future Postgres rule could let through).
    const writer = new BatchWriter({ store, logger: log, maxBatch: 1000, maxDelayMs: 5, retryMs: 20 });
    const acked: number[] = [];
    const good = Array.from({ length: 40 }, (_, i) => hr(`direct-${i}`, 'cyd', `2026-11-24T09:${String(i).padStart(2, '0')}:00Z`));
    const src = (i: number) => ({ topic: 'users/cyd/events/w-direct', payload: Buffer.from(`raw message ${i}`), userId: 'cyd', deviceId: 'w-direct', receivedAt: new Date().toISOString() });
    for (let i = 0; i < 20; i++) writer.add([good[i]!], null, () => acked.push(i), src(i));
    writer.add([hr('direct-year0', 'cyd', '0000-01-01T00:00:00Z'), good[20]!], null, () => acked.push(20), src(20));
    writer.add([hr('direct-\u0000', 'cyd', '2026-11-24T08:00:00Z')], null, () => acked.push(21), src(21));
    writer.add([hr('direct-offset', 'cyd', '2026-11-24T10:00:00+23:59')], { topic: 'users/cyd/events/w\u0000', deviceId: 'w\ud800', userId: 'cyd', reason: 'PH_INGEST_SCHEMA_INVALID', detail: 'd\u0000', payload: Buffer.from([0, 0xff]) }, () => acked.push(22), src(22));
    for (let i = 21; i < 40; i++) writer.add([good[i]!], null, () => acked.push(i + 2), src(i + 2));
    await writer.close();
    expect(acked).toEqual(Array.from({ length: 42 }, (_, i) => i));
    expect(writer.stats).toMatchObject({ stored: 40, refused: 3, failedCommits: 0 });
    expect(writer.health.ok).toBe(true);
    expect(await store.observations.count({ userId: 'cyd' })).toBe(40);
    const refused = await store.deadLetters.list({ reason: 'PH_INGEST_STORE_REJECTED' });
    expect(refused.map((l) => l.payload.toString()).sort()).toEqual(['raw message 20', 'raw message 21', 'raw message 22']);
    for (const l of refused) expect(l.detail).toMatch(/\b22[0-9A-Z]{3}\b/); // the database's SQLSTATE
    // The dead letter with unstorable text fields was kept too, its text made storable.
    const [odd] = await store.deadLetters.list({ reason: 'PH_INGEST_SCHEMA_INVALID', limit: 100 }).then((ls) => ls.filter((l) => l.payload.equals(Buffer.from([0, 0xff]))));
    expect(odd).toMatchObject({ topic: 'users/cyd/events/w\ufffd', deviceId: 'w\ufffd', detail: 'd\ufffd' });
  });

  it('writer: while commits fail for a reason other than the data (database away) it retries, reports itself unhealthy, then recovers; its log lines carry no readings', async () => {
    let failures = 4;
    const flaky: Store = {
      ...store,
      observations: {
        ...store.observations,
        commitBatch: async (batch) => {
          // As drizzle reports it: the statement's parameters (the readings) in the message, the driver error as cause.
          if (failures-- > 0) throw new Error(`Failed query: insert … params: ${JSON.stringify(batch.events)}`, { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }) });
          return store.observations.commitBatch(batch);
        },
      },
    };
    const lines: string[] = [];
    const captured = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const writer = new BatchWriter({ store: flaky, logger: captured, maxBatch: 10, maxDelayMs: 5, retryMs: 10, unhealthyAfter: 3 });
    const acked: number[] = [];
    writer.add([hr('flaky-1', 'dee', '2026-11-24T09:00:00Z')], null, () => acked.push(1));
    await waitFor(() => writer.stats.failedCommits >= 3, { what: 'three failed commits' });
    expect(writer.health).toMatchObject({ ok: false, lastErrorCode: 'ECONNREFUSED' });
    expect(acked).toEqual([]);
    await waitFor(() => acked.length === 1, { what: 'the acknowledgement after recovery' });
    expect(writer.health.ok).toBe(true);
    expect(writer.stats.refused).toBe(0);
    await writer.close();
    expect(await store.observations.count({ userId: 'dee' })).toBe(1);
    expect(lines.some((l) => l.includes('commit failed') && l.includes('ECONNREFUSED'))).toBe(true);
    for (const l of lines) expect(l).not.toMatch(/bpm|flaky-1|\/min/);
  });
});
