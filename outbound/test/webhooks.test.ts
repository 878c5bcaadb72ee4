import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { createWebhookWorker, verify } from '@pulsehub/outbound';
import { receiver, until, type Received, type Receiver } from './receiver.js';

// Issue 14, webhooks, on real parts: Postgres (COPY and one-statement paths) and PGlite, a real
// local HTTP receiver that fails and then recovers. The allowlist lets the worker reach 127.0.0.1.

const log = pino({ level: 'silent' });
const SECRET = 'test-secret-0123456789';

let seq = 0;
const hr = (userId: string, bpm: number): CanonicalEvent => {
  const at = new Date(Date.parse('2026-11-20T10:00:00Z') + seq++ * 1000).toISOString();
  return { id: `hr-${seq}`, userId, deviceId: `${userId}-watch`, metric: 'heart_rate', time: { at }, values: { bpm: { value: bpm, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: at } };
};
const steps = (userId: string, count: number): CanonicalEvent => {
  const start = new Date(Date.parse('2026-11-20T10:00:00Z') + seq++ * 1000).toISOString();
  return { id: `st-${seq}`, userId, deviceId: `${userId}-watch`, metric: 'steps', time: { start, end: start }, values: { count: { value: count, unit: '{steps}' } }, source: { adapter: 'pulsehub.v1', receivedAt: start } };
};

const bodyOf = (r: Received) => JSON.parse(r.body) as { delivery: string; subscription: string; events: { id: string; type: string; userId: string; readings?: CanonicalEvent[] }[] };

describe.each(['postgres', 'pglite'] as const)('webhooks on %s', (kind) => {
  let db: TestDatabase;
  let store: Store;
  let rx: Receiver;
  const worker = (backoff = { baseMs: 20, capMs: 100, maxAttempts: 5 }) => createWebhookWorker({ store, log, allowHosts: ['127.0.0.1'], backoff, timeoutMs: 5_000 });

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    store = await openStore(db.target);
    await store.users.ensure(['ana', 'ben', 'cy', 'dee', 'eve', 'fay']);
    rx = await receiver();
  }, 60_000);
  afterAll(async () => {
    await rx?.close();
    await store?.close();
    await db?.drop();
  });

  it('a crash between commit and send loses nothing: the outbox row is in the batch transaction', async () => {
    rx.got.length = 0;
    await store.webhooks.create({ userId: 'ana', url: rx.url, events: ['reading.stored'], secret: SECRET, windowMs: 0, createdBy: 'admin' });
    const batch = [hr('ana', 61), hr('ana', 62), hr('ben', 70)];
    expect((await store.observations.commitBatch({ events: batch })).inserted).toBe(3);
    // The process dies here: nothing was sent. A new process opens the same database.
    await store.close();
    store = await openStore(db.target);
    expect((await store.webhooks.backlog()).openEntries).toBe(1);
    const w = worker();
    await until(w, () => rx.got.length >= 1);
    const [req] = rx.got;
    const body = bodyOf(req!);
    expect(body.events).toHaveLength(1);
    expect(body.events[0]!.readings!.map((e) => e.values.bpm?.value)).toEqual([61, 62]);
    expect(verify(SECRET, req!.body, String(req!.headers['pulsehub-signature']))).toBe(true);
    expect(req!.headers['idempotency-key']).toBe(body.delivery);
    expect(req!.headers['content-type']).toBe('application/json');
    const [d] = await store.webhooks.deliveries({ userId: 'ana' });
    expect(d).toMatchObject({ status: 'delivered', attempts: 1, lastStatus: 200 });
    expect(d!.lastLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it('retries with backoff while the receiver fails, then delivers the same body and key', async () => {
    rx.got.length = 0;
    let fails = 2;
    rx.answer = () => (fails-- > 0 ? { status: 503 } : { status: 200 });
    const sub = await store.webhooks.create({ userId: 'ben', url: rx.url, events: ['reading.stored'], secret: SECRET, windowMs: 0, createdBy: 'admin' });
    await store.observations.commitBatch({ events: [hr('ben', 80)] });
    const w = worker();
    await until(w, async () => (await store.webhooks.deliveries({ subscriptionId: sub.id }))[0]?.status === 'delivered');
    expect(rx.got).toHaveLength(3);
    expect(new Set(rx.got.map((g) => g.body)).size).toBe(1);
    expect(new Set(rx.got.map((g) => g.headers['idempotency-key'])).size).toBe(1);
    const [d] = await store.webhooks.deliveries({ subscriptionId: sub.id });
    expect(d).toMatchObject({ status: 'delivered', attempts: 3 });
    rx.answer = () => ({ status: 200 });
  });

  it('gives up after maxAttempts with the last error, and a replay delivers it', async () => {
    rx.got.length = 0;
    rx.answer = () => ({ status: 500 });
    const sub = await store.webhooks.create({ userId: 'cy', url: rx.url, events: ['reading.stored'], secret: SECRET, windowMs: 0, createdBy: 'admin' });
    await store.observations.commitBatch({ events: [hr('cy', 90)] });
    const w = worker({ baseMs: 10, capMs: 20, maxAttempts: 2 });
    await until(w, async () => (await store.webhooks.deliveries({ subscriptionId: sub.id }))[0]?.status === 'failed');
    const [failed] = await store.webhooks.deliveries({ subscriptionId: sub.id });
    expect(failed).toMatchObject({ attempts: 2, lastStatus: 500 });
    expect(failed!.lastError).toContain('HTTP 500');
    rx.answer = () => ({ status: 204 });
    expect(await store.webhooks.replay({ subscriptionId: sub.id, limit: 10 })).toEqual([failed!.id]);
    await until(w, async () => (await store.webhooks.deliveries({ subscriptionId: sub.id }))[0]?.status === 'delivered');
    expect(rx.got.at(-1)!.headers['idempotency-key']).toBe(failed!.id);
    rx.answer = () => ({ status: 200 });
  });

  it('does not follow a redirect', async () => {
    const other = await receiver();
    try {
      rx.got.length = 0;
      rx.answer = () => ({ status: 307, headers: { location: other.url } });
      const sub = await store.webhooks.create({ userId: 'dee', url: rx.url, events: ['reading.stored'], secret: SECRET, windowMs: 0, createdBy: 'admin' });
      await store.observations.commitBatch({ events: [hr('dee', 70)] });
      const w = worker({ baseMs: 10, capMs: 20, maxAttempts: 1 });
      await until(w, async () => (await store.webhooks.deliveries({ subscriptionId: sub.id }))[0]?.status === 'failed');
      const [d] = await store.webhooks.deliveries({ subscriptionId: sub.id });
      expect(d!.lastError).toContain('redirect not followed (307');
      expect(other.got).toHaveLength(0);
    } finally {
      rx.answer = () => ({ status: 200 });
      await other.close();
    }
  });

  it('refuses a loopback target that is not allowlisted, at send time', async () => {
    rx.got.length = 0;
    const sub = await store.webhooks.create({ userId: 'eve', url: rx.url, events: ['reading.stored'], secret: SECRET, windowMs: 0, createdBy: 'admin' });
    await store.observations.commitBatch({ events: [hr('eve', 70)] });
    const strict = createWebhookWorker({ store, log, allowHosts: [], backoff: { baseMs: 10, capMs: 20, maxAttempts: 1 } });
    await until(strict, async () => (await store.webhooks.deliveries({ subscriptionId: sub.id }))[0]?.status === 'failed');
    const [d] = await store.webhooks.deliveries({ subscriptionId: sub.id });
    expect(d!.lastError).toMatch(/127\.0\.0\.1 \(loopback\)/);
    expect(d!.lastStatus).toBeNull();
    expect(rx.got).toHaveLength(0);
  });

  it('batches per subscription: max batch size, window, metric filter', async () => {
    rx.got.length = 0;
    const sub = await store.webhooks.create({ userId: 'fay', url: rx.url, events: ['reading.stored'], metrics: ['heart_rate'], secret: SECRET, windowMs: 3_600_000, maxBatch: 10, createdBy: 'admin' });
    // 1 Hz heart rate: 25 one-reading batches, and steps the filter leaves out.
    for (let i = 0; i < 25; i++) await store.observations.commitBatch({ events: [hr('fay', 100 + i)] });
    await store.observations.commitBatch({ events: [steps('fay', 12)] });
    const w = worker();
    await w.tick();
    // Two full batches of 10 go now; 5 wait for the (hour-long) window.
    expect(rx.got.map((g) => bodyOf(g).events.length)).toEqual([10, 10]);
    expect((await store.webhooks.deliveries({ subscriptionId: sub.id })).length).toBe(2);
    await store.webhooks.update(sub.id, { windowMs: 0 });
    await w.tick();
    expect(rx.got.map((g) => bodyOf(g).events.length)).toEqual([10, 10, 5]);
    const bpms = rx.got.flatMap((g) => bodyOf(g).events.flatMap((e) => e.readings!.map((r) => r.values.bpm?.value)));
    expect(bpms).toEqual(Array.from({ length: 25 }, (_, i) => 100 + i));
    expect(rx.got.flatMap((g) => bodyOf(g).events.flatMap((e) => e.readings!.map((r) => r.metric)))).not.toContain('steps');
    // Event ids are stable and unique.
    const ids = rx.got.flatMap((g) => bodyOf(g).events.map((e) => e.id));
    expect(new Set(ids).size).toBe(25);
  });

  // PGlite has no COPY path (every batch takes the one-statement path): Postgres only, not a skip.
  if (kind === 'postgres') it('writes the outbox row on the COPY path too', async () => {
    rx.got.length = 0;
    await store.users.ensure(['gus']);
    await store.webhooks.create({ userId: 'gus', url: rx.url, events: ['reading.stored'], secret: SECRET, windowMs: 0, createdBy: 'admin' });
    const batch = Array.from({ length: 400 }, (_, i) => hr(i % 2 === 0 ? 'gus' : 'ana', 60 + (i % 50)));
    const copiedBefore = store.observations.commitStats.copied;
    expect((await store.observations.commitBatch({ events: batch })).inserted).toBe(400);
    expect(store.observations.commitStats.copied).toBe(copiedBefore + 1);
    const w = worker();
    await until(w, () => rx.got.some((g) => bodyOf(g).events[0]?.userId === 'gus'));
    const gus = rx.got.map(bodyOf).filter((b) => b.events[0]?.userId === 'gus');
    expect(gus.flatMap((b) => b.events.flatMap((e) => e.readings!)).length).toBe(200);
  });
});

describe('session.ended webhooks', () => {
  it('a class end writes each athlete\'s entry with the summaries, once', async () => {
    await using db = await createTestDatabase('postgres');
    const store = await openStore(db.target);
    const rx = await receiver();
    try {
      await store.users.ensure(['ana', 'ben']);
      await store.webhooks.create({ userId: 'ana', url: rx.url, events: ['session.ended'], secret: SECRET, windowMs: 0, createdBy: 'admin' });
      const classes = store.classes;
      await classes.create({ id: 's1', coachId: 'c1', name: 'Spin', athletes: ['ana', 'ben'], zoneFloors: [0.5, 0.6, 0.7, 0.8, 0.9] });
      const row = (athleteId: string) => ({ athleteId, name: athleteId, avgBpm: 140, maxBpm: 170, secondsInZones: [0, 0, 60, 0, 0, 0], kcal: 50, effortPoints: 3, readings: 60 });
      await classes.end('s1', new Date(), [row('ana'), row('ben')]);
      await classes.end('s1', new Date(), [row('ana'), row('ben')]);
      const w = createWebhookWorker({ store, log, allowHosts: ['127.0.0.1'] });
      await until(w, () => rx.got.length >= 1);
      await w.tick();
      expect(rx.got).toHaveLength(1);
      const events = bodyOf(rx.got[0]!).events as unknown as { type: string; userId: string; data: { sessionId: string; avgBpm: number } }[];
      expect(events).toEqual([expect.objectContaining({ type: 'session.ended', userId: 'ana', data: expect.objectContaining({ sessionId: 's1', avgBpm: 140 }) })]);
    } finally {
      await rx.close();
      await store.close();
    }
  });
});
