import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { eventsTopic } from '@pulsehub/contracts';
import { connectDevice, startTestHub, waitFor, type TestHub } from '@pulsehub/testkit';

const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

// The history API on both storage targets, through a whole hub.
describe.each(['postgres', 'pglite'] as const)('history API on %s', (kind) => {
  let t: TestHub;
  let watch: MqttClient;
  let admin: string;
  let ana: string;
  let coach: string;
  let stranger: string;
  const get = async (path: string, token: string) => {
    const res = await fetch(`${t.hub.http.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
  };

  beforeAll(async () => {
    t = await startTestHub(kind);
    await t.hub.store.users.upsert({ id: 'ana', name: 'Ana', birthYear: 1990 });
    admin = await t.hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 });
    ana = await t.hub.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 });
    coach = await t.hub.mint({ subject: 'coach-c', kind: 'coach', ttlSeconds: 600 });
    stranger = await t.hub.mint({ subject: 'ben', kind: 'athlete', users: ['ben'], ttlSeconds: 600 });
    watch = await connectDevice(t.hub, 'w-hist', await t.hub.mint({ subject: 'w-hist', kind: 'device', users: ['ana'] }));
    // Two minutes of heart rate every 10 s: bpm 60..71, then 10 steps readings.
    const readings = Array.from({ length: 12 }, (_, i) => ({ id: `h${i}`, metric: 'heart_rate', at: at(i * 10), values: { bpm: 60 + i } }));
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ readings }), { qos: 1 });
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 's1', metric: 'steps', start: at(0), end: at(60), values: { count: 100 } }), { qos: 1 });
    await waitFor(async () => (await t.hub.store.observations.count({ userId: 'ana' })) === 13, { timeout: 10_000, what: 'the readings' });
  }, 60_000);
  afterAll(async () => {
    await watch?.endAsync();
    await t?.close();
  });

  it('refuses a coach without consent with 403, then serves the same coach once consent is granted', async () => {
    const q = `/api/users/ana/observations?metric=heart_rate&from=${at(0)}&to=${at(120)}&bucket=60s`;
    const refused = await get(q, coach);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('PH_AUTH_FORBIDDEN');
    expect((await get(q, stranger)).status).toBe(403);
    expect((await get('/api/users/ana/daily?from=2026-11-20&to=2026-11-20', coach)).status).toBe(403);
    expect((await get('/api/users/ana/sync', coach)).status).toBe(403);
    expect((await get('/api/users/ana/observations/latest', coach)).status).toBe(403);
    expect((await fetch(`${t.hub.http.url}${q}`)).status).toBe(401);
    await t.hub.store.consents.grant('ana', 'coach-c');
    expect((await get(q, coach)).status).toBe(200);
    await t.hub.store.consents.revoke('ana', 'coach-c');
    expect((await get(q, coach)).status).toBe(403);
  });

  it('aggregates min/avg/max/n per bucket for charts', async () => {
    const { status, body } = await get(`/api/users/ana/observations?metric=heart_rate&from=${at(0)}&to=${at(120)}&bucket=60s`, ana);
    expect(status).toBe(200);
    expect(body.buckets).toEqual([
      { t: at(0), min: 60, avg: 62.5, max: 65, n: 6 },
      { t: at(60), min: 66, avg: 68.5, max: 71, n: 6 },
    ]);
    expect(body.unit).toBe('/min');
  });

  it('pages through raw readings', async () => {
    const first = await get(`/api/users/ana/observations?metric=heart_rate&from=${at(0)}&to=${at(120)}&limit=5`, admin);
    expect((first.body.events as { id: string }[]).map((e) => e.id)).toEqual(['h0', 'h1', 'h2', 'h3', 'h4']);
    let page = first.body.next as string;
    const ids: string[] = [];
    while (page) {
      const r = await get(`/api/users/ana/observations?metric=heart_rate&from=${at(0)}&to=${at(120)}&limit=5&page=${page}`, admin);
      ids.push(...(r.body.events as { id: string }[]).map((e) => e.id));
      page = r.body.next as string;
    }
    expect(ids).toEqual(['h5', 'h6', 'h7', 'h8', 'h9', 'h10', 'h11']);
  });

  it('gives the latest value per metric and daily summaries', async () => {
    const latest = await get('/api/users/ana/observations/latest', ana);
    expect((latest.body.events as { id: string }[]).map((e) => e.id).sort()).toEqual(['h11', 's1']);
    await t.hub.ingest.refresher.refresh();
    const daily = await get('/api/users/ana/daily?from=2026-11-19&to=2026-11-21', ana);
    expect(daily.body.days).toEqual([{
      day: '2026-11-20', steps: 100, current: true,
      heartRate: { n: 12, avg: 65.5, min: 60, max: 71, resting: null }, // 2 minutes: no 10-minute resting window
      zones: { maxHr: 208 - 0.7 * 36, seconds: [110, 0, 0, 0, 0, 0] }, // each reading holds until the next; the last one does not
    }]);
  });

  it('delta sync returns only what was stored after the cursor', async () => {
    // A sync page holds back rows above the oldest transaction still running anywhere on the
    // server (it may yet commit below them); other test files keep the shared server busy, so
    // the stored readings can take a moment to come into view.
    const first = await waitFor(async () => {
      const r = await get('/api/users/ana/sync', ana);
      return (r.body.events as unknown[]).length >= 13 ? r : undefined;
    }, { timeout: 10_000, what: 'the stored readings in a sync page' });
    expect((first.body.events as unknown[]).length).toBe(13);
    const cursor = first.body.cursor as string;
    const none = await get(`/api/users/ana/sync?cursor=${cursor}`, ana);
    expect(none.body).toMatchObject({ events: [], cursor, more: false });
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ readings: [{ id: 'h0', metric: 'heart_rate', at: at(0), values: { bpm: 60 } }, { id: 'h12', metric: 'heart_rate', at: at(120), values: { bpm: 72 } }] }), { qos: 1 });
    await waitFor(async () => (await t.hub.store.observations.count({ userId: 'ana' })) === 14, { timeout: 10_000, what: 'the new reading' });
    const next = await waitFor(async () => {
      const r = await get(`/api/users/ana/sync?cursor=${cursor}`, ana);
      return (r.body.events as unknown[]).length > 0 ? r : undefined;
    }, { timeout: 5000, what: 'the change' });
    expect((next.body.events as { id: string }[]).map((e) => e.id)).toEqual(['h12']);
  });

  it('answers bad parameters with a clear 400 and an unknown user with 404', async () => {
    const bad = async (q: string, match: RegExp) => {
      const r = await get(`/api/users/ana/observations?${q}`, admin);
      expect(r.status).toBe(400);
      expect(r.body.error?.code).toBe('PH_WEB_BAD_REQUEST');
      expect(r.body.error?.message).toMatch(match);
    };
    await bad(`metric=mood&from=${at(0)}&to=${at(60)}`, /metric must be one of/);
    await bad(`metric=heart_rate&from=yesterday&to=${at(60)}`, /ISO 8601/);
    await bad(`metric=heart_rate&from=${at(60)}&to=${at(0)}`, /to must be after from/);
    await bad(`metric=heart_rate&from=${at(0)}&to=${at(60)}&bucket=90x`, /bucket must be/);
    await bad(`metric=heart_rate&from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z&bucket=1s`, /more than 20000 buckets/);
    await bad(`metric=heart_rate&from=${at(0)}&to=${at(60)}&component=mood`, /no component "mood"/);
    expect((await get('/api/users/ana/sync?cursor=garbage', admin)).status).toBe(400);
    const missing = await get(`/api/users/nobody/observations?metric=heart_rate&from=${at(0)}&to=${at(60)}&bucket=60s`, admin);
    expect(missing.status).toBe(404);
  });

  it('lists one dead letter by id and replays dead letters for an admin only', async () => {
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ metric: 'heart_rate', values: { bpm: 900 } }), { qos: 1 });
    const [dl] = await waitFor(async () => {
      const r = await t.hub.store.deadLetters.list({ reason: 'PH_INGEST_OUT_OF_RANGE' });
      return r.length > 0 ? r : undefined;
    }, { timeout: 5000, what: 'the dead letter' });
    const one = await get(`/api/deadletters/${dl!.id}`, admin);
    expect(one.body.deadLetter).toMatchObject({ id: dl!.id, reason: 'PH_INGEST_OUT_OF_RANGE' });
    expect((await get(`/api/deadletters/${dl!.id}`, ana)).status).toBe(403);
    const replay = await fetch(`${t.hub.http.url}/api/deadletters/replay`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ id: dl!.id }) });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ replayed: [], failed: [{ id: dl!.id, reason: 'PH_INGEST_OUT_OF_RANGE' }] });
    const empty = await fetch(`${t.hub.http.url}/api/deadletters/replay`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{}' });
    expect(empty.status).toBe(400);
  });
});
