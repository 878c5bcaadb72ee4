import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { GoalCreate, type CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, queryStore, sql, type TestDatabase } from '@pulsehub/store/testing';
import { createWebhookWorker, verify, type WebhookWorker } from '@pulsehub/outbound';
import { receiver, until, type Receiver } from './receiver.js';

// Issue 14 §1: the events other than reading.stored and session.ended — alert.opened,
// alert.resolved, goal.reached, device.offline — each written in the transaction of its cause,
// delivered signed to a real HTTP receiver, once per cause, on Postgres and PGlite.

const log = pino({ level: 'silent' });
const SECRET = 'events-secret-0123456789';

interface HookEvent { id: string; type: string; userId: string; at: string; data: Record<string, unknown> }

/** The events the receiver got for `userId`, over all requests. */
const eventsOf = (rx: Receiver, userId: string) => rx.got.flatMap((g) => (JSON.parse(g.body) as { events: HookEvent[] }).events).filter((e) => e.userId === userId);

describe.each(['postgres', 'pglite'] as const)('alert, goal and device webhooks on %s', (kind) => {
  let db: TestDatabase;
  let store: Store;
  let rx: Receiver;
  let worker: WebhookWorker;
  const ALL = ['alert.opened', 'alert.resolved', 'goal.reached', 'device.offline'];
  const subscribe = (userId: string, events = ALL) => store.webhooks.create({ userId, url: rx.url, events, secret: SECRET, windowMs: 0, createdBy: 'admin' });
  const outbox = async (userId: string) =>
    (await queryStore<{ event_type: string }>(store, sql`select event_type from webhook_outbox where user_id = ${userId} order by id`)).map((r) => r.event_type);
  /** Sends everything owed and returns the events the receiver got for `userId`. */
  const drain = async (userId: string, n: number) => {
    await until(worker, () => eventsOf(rx, userId).length >= n);
    await worker.tick();
    return eventsOf(rx, userId);
  };

  beforeAll(async () => {
    db = await createTestDatabase(kind);
    store = await openStore(db.target);
    await store.users.ensure(['al', 'bo', 'cat', 'dan', 'eli', 'fox']);
    rx = await receiver();
    worker = createWebhookWorker({ store, log, allowHosts: ['127.0.0.1'], timeoutMs: 5_000 });
    // Fails a transaction at COMMIT when its alert or goal row is titled 'boom' (a deferred
    // constraint trigger): the cause is written, then rolled back — its outbox rows must go too.
    await queryStore(store, sql.raw(`
      create function ph_test_boom() returns trigger language plpgsql as $$
      begin if new.title = 'boom' then raise exception 'boom'; end if; return new; end $$`));
    await queryStore(store, sql.raw(`create constraint trigger ph_test_boom_alert after insert or update on alerts deferrable initially deferred for each row execute function ph_test_boom()`));
    await queryStore(store, sql.raw(`create constraint trigger ph_test_boom_goal after update on goals deferrable initially deferred for each row execute function ph_test_boom()`));
  }, 60_000);
  afterAll(async () => {
    await rx?.close();
    await store?.close();
    await db?.drop();
  });

  it('alert.opened once per opening (an update of the open alert adds none), alert.resolved on resolve, signed', async () => {
    await subscribe('al');
    const opened = await store.alerts.raise({ userId: 'al', ruleId: 'hr-high', severity: 'critical', title: 'Heart rate 190 bpm', detail: { bpm: 190, maxHr: 187, pctMax: 101.6, seconds: 130, since: '2026-11-20T10:00:00.000Z' }, readingIds: ['h1'] });
    expect(opened?.change).toBe('opened');
    // The same open alert (its unique key: user and rule) raised again: updated, not opened again.
    expect((await store.alerts.raise({ userId: 'al', ruleId: 'hr-high', severity: 'critical', title: 'Heart rate 192 bpm', detail: { bpm: 192 }, readingIds: ['h2'] }))?.change).toBe('updated');
    // A redelivered reading changes nothing.
    expect(await store.alerts.raise({ userId: 'al', ruleId: 'hr-high', severity: 'critical', title: 'Heart rate 192 bpm', detail: { bpm: 192 }, readingIds: ['h2'] })).toBeNull();
    expect(await outbox('al')).toEqual(['alert.opened']);
    const resolved = await store.alerts.resolve('al', 'hr-high');
    expect(await store.alerts.resolve('al', 'hr-high')).toBeNull();
    expect(await outbox('al')).toEqual(['alert.opened', 'alert.resolved']);

    const events = await drain('al', 2);
    expect(events.map((e) => e.type)).toEqual(['alert.opened', 'alert.resolved']);
    expect(events[0]!.data).toEqual({
      alertId: opened!.alert.id, ruleId: 'hr-high', severity: 'critical', title: 'Heart rate 190 bpm', metric: 'heart_rate',
      value: { bpm: 190 }, openedAt: opened!.alert.openedAt.toISOString(), resolvedAt: null,
    });
    expect(events[1]!.data).toMatchObject({ alertId: opened!.alert.id, title: 'Heart rate 192 bpm', value: { bpm: 192 }, resolvedAt: resolved!.resolvedAt!.toISOString() });
    // Only what the event needs: no reading ids, no detail beyond the value.
    expect(JSON.stringify(events)).not.toContain('readingIds');
    expect(JSON.stringify(events)).not.toContain('maxHr');
    for (const g of rx.got) expect(verify(SECRET, g.body, String(g.headers['pulsehub-signature']))).toBe(true);
    // A subscription without the event type gets nothing.
    await subscribe('bo', ['alert.resolved']);
    await store.alerts.raise({ userId: 'bo', ruleId: 'spo2-low', severity: 'warning', title: 'SpO2 88 %', detail: { percent: 88 }, readingIds: ['s1', 's2'] });
    expect(await outbox('bo')).toEqual([]);
    await store.alerts.resolve('bo', 'spo2-low');
    expect(await outbox('bo')).toEqual(['alert.resolved']);
  });

  it('device.offline once per device that goes silent, with the device-offline alert', async () => {
    await subscribe('cat');
    const w1 = { id: 'cat-watch', lastSeenAt: '2026-11-20T09:00:00.000Z' };
    const w2 = { id: 'cat-strap', lastSeenAt: '2026-11-20T09:30:00.000Z' };
    const raise = (devices: { id: string; lastSeenAt: string }[]) => store.alerts.raise({
      userId: 'cat', ruleId: 'device-offline', severity: 'warning', title: `${devices.map((d) => d.id).join(', ')} silent`, detail: { devices }, readingIds: [],
    });
    expect((await raise([w1]))?.change).toBe('opened');
    expect(await raise([w1])).toBeNull(); // the scheduler's next pass, still silent: nothing
    expect((await raise([w1, w2]))?.change).toBe('updated'); // a second device goes silent
    expect(await outbox('cat')).toEqual(['alert.opened', 'device.offline', 'device.offline']);
    const events = await drain('cat', 3);
    expect(events.filter((e) => e.type === 'device.offline').map((e) => e.data)).toEqual([
      { deviceId: 'cat-watch', lastSeenAt: w1.lastSeenAt, alertId: expect.any(Number) },
      { deviceId: 'cat-strap', lastSeenAt: w2.lastSeenAt, alertId: expect.any(Number) },
    ]);
    expect(events.find((e) => e.type === 'alert.opened')!.data).toMatchObject({ ruleId: 'device-offline', metric: null, value: null });
  });

  it('goal.reached once per goal and period, with the mark', async () => {
    await subscribe('dan');
    const goal = await store.goals.create('dan', GoalCreate.parse({ kind: 'daily_steps', frequency: 'daily', target: 8000 }), { subject: 'dan', kind: 'athlete' });
    const at = new Date('2026-11-20T18:00:00Z');
    expect(await store.goals.markReached(goal, '2026-11-20', { periodEnd: '2026-11-20', streak: 3, at })).toBe(true);
    expect(await store.goals.markReached(goal, '2026-11-20', { periodEnd: '2026-11-20', streak: 3, at })).toBe(false);
    expect(await outbox('dan')).toEqual(['goal.reached']);
    const [e] = await drain('dan', 1);
    expect(e).toMatchObject({ type: 'goal.reached', data: { goalId: goal.id, kind: 'daily_steps', frequency: 'daily', period: { start: '2026-11-20', end: '2026-11-20' }, streak: 3, at: at.toISOString() } });
    expect(JSON.stringify(e!.data)).not.toMatch(/value|8000/);
  });

  it('reading.stored: each reading in the body is exactly the stored canonical event (instants, intervals, series, notes, escapes)', async () => {
    await store.users.ensure(['gil']);
    await subscribe('gil', ['reading.stored']);
    const at = '2026-11-20T10:00:00.123Z';
    const events: CanonicalEvent[] = [
      { id: 'g-hr', userId: 'gil', deviceId: 'strap "1"', metric: 'heart_rate', time: { at }, values: { bpm: { value: 128, unit: '/min' } }, series: { rr: { unit: 'ms', values: [470, 468.5] } }, source: { adapter: 'pulsehub.v1', receivedAt: '2026-11-20T10:00:01.000Z' } },
      { id: 'g-st', userId: 'gil', deviceId: 'watch', metric: 'steps', time: { start: '2026-11-20T09:00:00.000Z', end: '2026-11-20T09:59:59.999Z' }, values: { count: { value: 1200, unit: '{steps}' } }, source: { adapter: 'pulsehub.v1', receivedAt: at } },
      { id: 'g-food', userId: 'gil', deviceId: 'manual', metric: 'food', time: { at }, values: { energy: { value: 350, unit: 'kcal' } }, notes: { description: 'porridge, "oats" & honey \u2615 \\ / \t', meal: 'breakfast' }, source: { adapter: 'manual', receivedAt: at } },
    ];
    expect((await store.observations.commitBatch({ events })).inserted).toBe(3);
    const [e] = await drain('gil', 1);
    const stored = (await Promise.all(['heart_rate', 'steps', 'food'].map((metric) => store.history.range({ userId: 'gil', metric, from: new Date('2026-11-20T00:00:00Z'), to: new Date('2026-11-21T00:00:00Z'), limit: 10 })))).flat();
    expect((e as unknown as { readings: CanonicalEvent[] }).readings).toEqual(stored.sort((a, b) => (a.id < b.id ? -1 : 1)));
    expect(stored).toHaveLength(3);
  });

  it('an entry rolls back with its cause', async () => {
    await subscribe('eli');
    await expect(store.alerts.raise({ userId: 'eli', ruleId: 'bp-crisis', severity: 'critical', title: 'boom', detail: { systolic: 190, diastolic: 125 }, readingIds: ['b1'] })).rejects.toThrow();
    expect(await store.alerts.list('eli')).toEqual([]);
    expect(await outbox('eli')).toEqual([]);
    // The same cause committed: its entry is there.
    await store.alerts.raise({ userId: 'eli', ruleId: 'bp-crisis', severity: 'critical', title: 'crisis', detail: { systolic: 190, diastolic: 125 }, readingIds: ['b2'] });
    expect(await outbox('eli')).toEqual(['alert.opened']);
    await subscribe('fox');
    const goal = await store.goals.create('fox', GoalCreate.parse({ kind: 'daily_steps', frequency: 'daily', target: 5000, title: 'boom' }), { subject: 'fox', kind: 'athlete' });
    await expect(store.goals.markReached(goal, '2026-11-20', { periodEnd: '2026-11-20', streak: 1, at: new Date() })).rejects.toThrow();
    expect(await outbox('fox')).toEqual([]);
    expect((await queryStore<{ p: string | null }>(store, sql`select reached_period::text as p from goals where id = ${goal.id}`))[0]?.p).toBeNull();
  });
});
