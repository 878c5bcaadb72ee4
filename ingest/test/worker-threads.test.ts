import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { createTokenService, generateSigningKey } from '@pulsehub/auth';
import type { PulseHubBroker } from '@pulsehub/broker';
import { liveTopic } from '@pulsehub/contracts';
import { ProcessPool, startEmbeddedIngest, type EmbeddedIngest, type ProcessResult } from '@pulsehub/ingest';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { startTestBroker, waitFor } from '@pulsehub/testkit';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

// Issue 17 §4: validation and adapters on worker threads (PULSEHUB_INGEST_WORKERS), the
// guarantees of `pulsehub start` unchanged: PUBACK after commit, order per device, dead letters.
describe('embedded ingest with worker threads', () => {
  let tdb: TestDatabase;
  let store: Store;
  let ingest: EmbeddedIngest;
  let broker: PulseHubBroker;
  const clients: MqttClient[] = [];
  const tokens = createTokenService({ current: generateSigningKey(), previous: [] });
  let port: number;

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    store = await openStore(tdb.target);
    // Every message through a thread (not the first of a turn on the loop): what is under test.
    ingest = startEmbeddedIngest({ store, logger: log, rollupRefreshMs: 600_000, workers: 2, workersInline: false });
    ({ broker, port } = await startTestBroker({ tokens, logger: log, intake: ingest.intake }));
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync();
    await ingest?.close();
    await broker?.close();
    await store?.close();
    await tdb?.drop();
  });

  const connect = async (username: string, token: string) => {
    const c = mqtt.connect({ host: '127.0.0.1', port, username, password: token, clientId: username, reconnectPeriod: 0 });
    clients.push(c);
    await new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('error', reject); });
    return c;
  };
  const device = async (id: string, user: string) => connect(id, (await tokens.mint({ subject: id, kind: 'device', users: [user] })).token);
  const at = (i: number) => new Date(Date.UTC(2026, 10, 24, 8, 0, i)).toISOString();

  it('sends each PUBACK only once its reading is visible in the database', async () => {
    const watch = await device('wt-ack', 'ana');
    for (let i = 0; i < 20; i++) {
      await watch.publishAsync('users/ana/events', JSON.stringify({ id: `ack-${i}`, metric: 'heart_rate', at: at(i), values: { bpm: 60 + i } }), { qos: 1 });
      // The PUBACK came back: this reading (and every one before it) is stored.
      expect(await store.observations.count({ userId: 'ana' })).toBe(i + 1);
    }
    expect(ingest.stats).toMatchObject({ workers: 2, workerMessages: 20 });
  });

  it('keeps the arrival order of each device through the threads', async () => {
    const viewer = await connect('wt-viewer', (await tokens.mint({ subject: 'wt-viewer', kind: 'athlete', users: ['bo', 'cy'] })).token);
    const seen: { deviceId: string; id: string }[] = [];
    viewer.on('message', (_t, p) => {
      const e = JSON.parse(p.toString()) as { deviceId?: string; id?: string };
      if (e.deviceId && e.id) seen.push({ deviceId: e.deviceId, id: e.id });
    });
    await viewer.subscribeAsync([liveTopic('bo'), liveTopic('cy')], { qos: 0 });
    const devices = [await device('wt-o1', 'bo'), await device('wt-o2', 'bo'), await device('wt-o3', 'cy')];
    const N = 300;
    // Not awaited one by one: many readings of each device are in flight at once.
    await Promise.all(devices.flatMap((d, k) => Array.from({ length: N }, (_, i) =>
      d.publishAsync(`users/${k < 2 ? 'bo' : 'cy'}/events`, JSON.stringify({ id: `o${k}-${i}`, metric: 'heart_rate', at: at(i), values: { bpm: 70 } }), { qos: 1 }))));
    expect(await store.observations.count({ userId: 'bo' })).toBe(2 * N);
    expect(await store.observations.count({ userId: 'cy' })).toBe(N);
    await waitFor(() => seen.length >= 3 * N, { what: 'every live event' });
    for (const [k, id] of ['wt-o1', 'wt-o2', 'wt-o3'].entries()) {
      expect(seen.filter((s) => s.deviceId === id).map((s) => s.id)).toEqual(Array.from({ length: N }, (_, i) => `o${k}-${i}`));
    }
  });

  it('keeps a bad payload as a dead letter with its reason code, and the readings around it are stored', async () => {
    const watch = await device('wt-bad', 'di');
    await watch.publishAsync('users/di/events', JSON.stringify({ id: 'bad-0', metric: 'heart_rate', at: at(0), values: { bpm: 61 } }), { qos: 1 });
    await watch.publishAsync('users/di/events', '{"metric": "heart_rate", "values": {', { qos: 1 });
    await watch.publishAsync('users/di/events', JSON.stringify({ id: 'bad-2', metric: 'heart_rate', at: at(2), values: { bpm: 900 } }), { qos: 1 });
    await watch.publishAsync('users/di/events', JSON.stringify({ id: 'bad-3', metric: 'heart_rate', at: at(3), values: { bpm: 62 } }), { qos: 1 });
    const reasons = (await store.deadLetters.list()).filter((d) => d.userId === 'di').map((d) => d.reason).sort();
    expect(reasons).toEqual(['PH_INGEST_OUT_OF_RANGE', 'PH_INGEST_PAYLOAD_NOT_JSON']);
    expect(await store.observations.count({ userId: 'di' })).toBe(2);
  });
});

describe('ProcessPool: a worker thread that dies', () => {
  const topic = (d: string) => `users/ana/events/${d}`;
  const reading = (id: string) => Buffer.from(JSON.stringify({ id, metric: 'heart_rate', at: '2026-11-24T08:00:00.000Z', values: { bpm: 70 } }));
  const collect = (pool: ProcessPool, items: [device: string, payload: Buffer][]) => new Promise<{ device: string; r: ProcessResult }[]>((resolve) => {
    const out: { device: string; r: ProcessResult }[] = [];
    for (const [d, payload] of items) {
      pool.process(d, topic(d), payload, '2026-11-24T08:00:00.000Z', undefined, (r) => {
        out.push({ device: d, r });
        if (out.length === items.length) resolve(out);
      });
    }
  });

  it('is replaced, and the messages it had not answered are processed by the new one, in order', async () => {
    const pool = new ProcessPool({ size: 1, logger: log, inlineLone: false });
    try {
      const items = Array.from({ length: 50 }, (_, i): [string, Buffer] => [`d${i % 3}`, reading(`c-${i}`)]);
      const done = collect(pool, items);
      pool.crash(0); // reaches the thread before this turn's batch: the batch dies with it
      const out = await done;
      expect(pool.stats.restarts).toBe(1);
      expect(out.map((o) => o.r.events[0]?.id)).toEqual(items.map((_, i) => `c-${i}`));
      expect(out.every((o) => o.r.rejection === null)).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('keeps a message that kills every thread it reaches as a dead letter; the rest go through', async () => {
    const pool = new ProcessPool({ size: 2, logger: log, crashMarker: 'KILL', inlineLone: false });
    try {
      const items: [string, Buffer][] = [['p1', reading('k-0')], ['p1', Buffer.from('KILL')], ['p1', reading('k-2')], ['p2', reading('k-3')]];
      const out = await collect(pool, items);
      expect(pool.stats.restarts).toBeGreaterThanOrEqual(3);
      const p1 = out.filter((o) => o.device === 'p1');
      expect(p1.map((o) => o.r.events[0]?.id ?? o.r.rejection?.reason)).toEqual(['k-0', 'PH_INGEST_ADAPTER_FAILED', 'k-2']);
      expect(p1[1]!.r).toMatchObject({ userId: 'ana', deviceId: 'p1' });
      expect(out.find((o) => o.device === 'p2')?.r.events[0]?.id).toBe('k-3');
    } finally {
      await pool.close();
    }
  });

  it('processes the first message of a turn on the loop when its thread owes nothing, and keeps order', async () => {
    const pool = new ProcessPool({ size: 1, logger: log });
    try {
      const out = await collect(pool, Array.from({ length: 5 }, (_, i): [string, Buffer] => ['i1', reading(`i-${i}`)]));
      // the first on the loop, the four behind it through the thread, in order
      expect(out.map((o) => o.r.events[0]?.id)).toEqual(['i-0', 'i-1', 'i-2', 'i-3', 'i-4']);
      expect(pool.stats).toMatchObject({ inline: 1, messages: 4 });
    } finally {
      await pool.close();
    }
  });

  it('gives up on threads that cannot start, says so, and processes everything on the loop, in order', async () => {
    const pool = new ProcessPool({ size: 2, logger: log, failStart: true, inlineLone: false });
    try {
      const items = Array.from({ length: 10 }, (_, i): [string, Buffer] => [`f${i % 3}`, reading(`f-${i}`)]);
      const out = await collect(pool, items);
      expect(pool.stats.broken).toBe(true);
      for (const d of ['f0', 'f1', 'f2']) {
        expect(out.filter((o) => o.device === d).map((o) => o.r.events[0]?.id)).toEqual(items.flatMap(([dd], i) => (dd === d ? [`f-${i}`] : [])));
      }
      expect(out.every((o) => o.r.rejection === null)).toBe(true);
      // and what comes later too
      expect((await collect(pool, [['f0', reading('f-late')]]))[0]!.r.events[0]?.id).toBe('f-late');
    } finally {
      await pool.close();
    }
  });
});
