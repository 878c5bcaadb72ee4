import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsTopic } from '@pulsehub/contracts';
import { connectDevice, startTestHub, waitFor, type TestHub } from '@pulsehub/testkit';

/**
 * Issue 11, defect 1, on the embedded hub (`pulsehub start`): a device's PUBACK is written
 * after its reading is committed, in order, so one reading the database refused used to hold
 * up the PUBACK of every device behind it. The exact inputs of the issue, as the JSON text a
 * device sends.
 */
const POISON = [
  '{"id":"e-offset","metric":"heart_rate","at":"2026-11-24T10:00:00+23:59","values":{"bpm":70}}',
  '{"id":"e-year0","metric":"heart_rate","at":"0000-01-01T00:00:00Z","values":{"bpm":70}}',
  '{"id":"e-\\u0000","metric":"heart_rate","at":"2026-11-24T10:00:00Z","values":{"bpm":70}}',
  '{"id":"e-\\ud800","metric":"heart_rate","at":"2026-11-24T10:00:00Z","values":{"bpm":70}}',
  '{"id":"e-metric","metric":"heart\\u0000rate","at":"2026-11-24T10:00:00Z","values":{"bpm":70}}',
];

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms))]);

describe('embedded hub (PGlite): a poison reading does not stall PUBACKs', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub('pglite');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('acknowledges and dead-letters each poison reading, then acknowledges and stores a later QoS 1 publish of another device; /healthz stays ok', async () => {
    const bad = await connectDevice(t.hub, 'w-poison', await t.hub.mint({ subject: 'w-poison', kind: 'device', users: ['ana'] }));
    const good = await connectDevice(t.hub, 'w-good', await t.hub.mint({ subject: 'w-good', kind: 'device', users: ['ben'] }));
    try {
      // The poison readings go out together (one batch), then another device publishes.
      const sent = Promise.all(POISON.map((json) => bad.publishAsync(eventsTopic('ana'), json, { qos: 1 })));
      await within(sent, 10_000, 'PUBACK for the poison readings');
      await within(good.publishAsync(eventsTopic('ben'), JSON.stringify({ id: 'ben-1', metric: 'heart_rate', at: '2026-11-24T10:01:00Z', values: { bpm: 64 } }), { qos: 1 }), 10_000, "PUBACK for ben's reading");
      // PUBACK after commit: ben's reading is stored by the time it is acknowledged.
      expect((await t.hub.store.observations.latest('ben')).map((e) => e.id)).toEqual(['ben-1']);
      await waitFor(async () => (await t.hub.store.deadLetters.list({ limit: 100 })).length >= POISON.length, { timeout: 5000, what: 'the dead letters' });
      const letters = await t.hub.store.deadLetters.list({ limit: 100 });
      expect(letters.map((l) => l.payload.toString()).sort()).toEqual([...POISON].sort());
      expect(new Set(letters.map((l) => l.reason))).toEqual(new Set(['PH_INGEST_UNSTORABLE_INSTANT', 'PH_INGEST_UNSTORABLE_TEXT', 'PH_INGEST_SCHEMA_INVALID']));
      // A device that resends its message after a restart is acknowledged again, not stuck.
      await within(bad.publishAsync(eventsTopic('ana'), POISON[1]!, { qos: 1 }), 10_000, 'PUBACK for a resent poison reading');
      const health = await fetch(`${t.hub.http.url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', ingest: { ok: true, writer: { consecutiveFailedCommits: 0 } } });
      // Defect 4's visibility: a redelivery under a stored id with another value is counted on /metrics.
      await within(good.publishAsync(eventsTopic('ben'), JSON.stringify({ id: 'ben-1', metric: 'heart_rate', at: '2026-11-24T10:01:00Z', values: { bpm: 99 } }), { qos: 1 }), 10_000, 'PUBACK for the conflicting redelivery');
      const metrics = await (await fetch(`${t.hub.http.url}/metrics`)).text();
      expect(metrics).toMatch(/^pulsehub_ingest_id_conflicts_total 1$/m);
      expect(metrics).toMatch(/^pulsehub_ingest_writer_ok 1$/m);
      expect(metrics).toMatch(/^pulsehub_mqtt_connections \d+$/m);
    } finally {
      await bad.endAsync();
      await good.endAsync();
    }
  });
});
