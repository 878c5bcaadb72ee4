import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { eventsTopic } from '@pulsehub/contracts';
import { connectDevice, startTestHub, waitFor, type TestHub } from '@pulsehub/testkit';

describe('invalid device payloads become dead letters with a reason code; nothing is dropped', () => {
  let t: TestHub;
  let watch: MqttClient;
  beforeAll(async () => {
    t = await startTestHub('postgres');
    watch = await connectDevice(t.hub, 'w-dl', await t.hub.mint({ subject: 'w-dl', kind: 'device', users: ['ana'] }));
  });
  afterAll(async () => {
    await watch?.endAsync();
    await t?.close();
  });

  const cases: [string, Buffer, string][] = [
    ['malformed JSON', Buffer.from('{"metric": "heart_rate", '), 'PH_INGEST_PAYLOAD_NOT_JSON'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 'PH_INGEST_PAYLOAD_NOT_JSON'],
    ['a missing values object', Buffer.from('{"metric":"heart_rate","bpm":70}'), 'PH_INGEST_SCHEMA_INVALID'],
    ['an unknown metric', Buffer.from('{"metric":"mood","values":{"level":3}}'), 'PH_INGEST_SCHEMA_INVALID'],
    ['a heart rate outside the physiological range', Buffer.from('{"metric":"heart_rate","values":{"bpm":400}}'), 'PH_INGEST_OUT_OF_RANGE'],
    ['an adapter that does not exist', Buffer.from('{"format":"acme.v9","hr":70}'), 'PH_INGEST_UNKNOWN_ADAPTER'],
    ['a reading for another user', Buffer.from('{"metric":"heart_rate","userId":"bob","values":{"bpm":70}}'), 'PH_INGEST_USER_MISMATCH'],
  ];

  it.each(cases)('keeps %s as a dead letter with the raw bytes', async (_name, payload, reason) => {
    const before = (await t.hub.store.deadLetters.list({ reason })).length;
    await watch.publishAsync(eventsTopic('ana'), payload, { qos: 1 });
    const rows = await waitFor(async () => {
      const r = await t.hub.store.deadLetters.list({ reason });
      return r.length > before ? r : undefined;
    }, { timeout: 5000, what: `a ${reason} dead letter` });
    const row = rows[0]!;
    expect(row.topic).toBe('users/ana/events/w-dl');
    expect(row.deviceId).toBe('w-dl');
    expect(row.userId).toBe('ana');
    expect(Buffer.compare(row.payload, payload)).toBe(0);
    expect(row.detail.length).toBeGreaterThan(0);
  });

  it('still stores valid readings from the same device afterwards', async () => {
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 'ok-after-bad', metric: 'heart_rate', values: { bpm: 64 } }), { qos: 1 });
    await waitFor(async () => (await t.hub.store.observations.count({ userId: 'ana' })) === 1, { timeout: 5000, what: 'the valid reading' });
    expect(t.hub.ingest.stats.rejected).toBe(cases.length);
  });

  it('lists dead letters for an admin over the API, and refuses others', async () => {
    const admin = await t.hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 60 });
    const ok = await fetch(`${t.hub.http.url}/api/deadletters?reason=PH_INGEST_OUT_OF_RANGE`, { headers: { authorization: `Bearer ${admin}` } });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { deadLetters: { reason: string; payload: string }[] };
    expect(body.deadLetters.map((d) => d.reason)).toEqual(['PH_INGEST_OUT_OF_RANGE']);
    expect(Buffer.from(body.deadLetters[0]!.payload, 'base64').toString()).toContain('"bpm":400');
    const coach = await t.hub.mint({ subject: 'c', kind: 'coach', ttlSeconds: 60 });
    const refused = await fetch(`${t.hub.http.url}/api/deadletters`, { headers: { authorization: `Bearer ${coach}` } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('PH_AUTH_FORBIDDEN');
  });
});
