import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { GoalCreate } from '@pulsehub/contracts';
import { createIntake, type Intake } from '@pulsehub/ingest';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, queryStore, sql, type TestDatabase } from '@pulsehub/store/testing';

// Issue 14 §1 through ingest's own paths: the reading rules, the scheduler's device-offline
// check and the goal tracker write the webhook entries of their alerts and goals (the sender
// and its receiver are outbound's tests: outbound/test/webhook-events.test.ts).

const logger = pino({ level: 'silent' });
const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

function send(intake: Intake, user: string, device: string, readings: object[]): Promise<void> {
  return new Promise((resolve) => intake.accept(`users/${user}/events/${device}`, Buffer.from(JSON.stringify({ readings })), resolve));
}

describe.each(['postgres', 'pglite'] as const)('webhook entries written by ingest on %s', (kind) => {
  let tdb: TestDatabase;
  let store: Store;
  let intake: Intake;
  const entries = async (userId: string) =>
    queryStore<{ event_type: string; payload: Record<string, unknown> }>(store, sql`select event_type, payload from webhook_outbox where user_id = ${userId} order by id`);
  const subscribe = (userId: string) => store.webhooks.create({ userId, url: 'https://hooks.example.com/x', events: ['alert.opened', 'alert.resolved', 'device.offline', 'goal.reached'], secret: 'entries-secret-0123456789', windowMs: 3_600_000, createdBy: 'admin' });

  beforeAll(async () => {
    tdb = await createTestDatabase(kind);
    store = await openStore(tdb.target);
    intake = createIntake({ store, logger, maxBatch: 50, maxDelayMs: 2, rollupRefreshMs: 600_000, alertUpdateEveryMs: 0, publishLive: () => {} });
  }, 60_000);
  afterAll(async () => {
    await intake?.close();
    await store?.close();
    await tdb?.drop();
  });

  it('a reading rule: one alert.opened while it holds, one alert.resolved', async () => {
    await store.users.upsert({ id: 'bp1', name: 'B' });
    await subscribe('bp1');
    await send(intake, 'bp1', 'cuff1', [{ id: 'b1', metric: 'blood_pressure', at: iso(0), values: { systolic: 185, diastolic: 125 } }]);
    await send(intake, 'bp1', 'cuff1', [{ id: 'b2', metric: 'blood_pressure', at: iso(60), values: { systolic: 190, diastolic: 110 } }]);
    await send(intake, 'bp1', 'cuff1', [{ id: 'b1', metric: 'blood_pressure', at: iso(0), values: { systolic: 185, diastolic: 125 } }]); // redelivered
    await send(intake, 'bp1', 'cuff1', [{ id: 'b3', metric: 'blood_pressure', at: iso(120), values: { systolic: 118, diastolic: 76 } }]);
    await intake.rules!.idle();
    const crisis = (await entries('bp1')).filter((e) => e.payload.ruleId === 'bp-crisis');
    expect(crisis.map((e) => e.event_type)).toEqual(['alert.opened', 'alert.resolved']);
    expect(crisis[0]!.payload).toMatchObject({ severity: 'critical', metric: 'blood_pressure', value: { systolic: 185, diastolic: 125 }, resolvedAt: null });
  });

  it('the scheduler: one device.offline per silent device, none again while it stays silent', async () => {
    await store.users.upsert({ id: 'off1', name: 'O' });
    await subscribe('off1');
    await store.devices.upsert({ id: 'w-off1', userId: 'off1', kind: 'watch' });
    await store.devices.upsert({ id: 's-off1', userId: 'off1', kind: 'strap' });
    const now = new Date('2026-11-20T12:00:00Z');
    await store.devices.touch([{ id: 'w-off1', at: new Date(now.getTime() - 2 * 3600_000) }, { id: 's-off1', at: new Date(now.getTime() - 60_000) }]);
    await intake.ruleScheduler!.runOnce(now);
    await intake.ruleScheduler!.runOnce(now);
    const later = new Date(now.getTime() + 2 * 3600_000); // the strap goes silent too
    await intake.ruleScheduler!.runOnce(later);
    await intake.ruleScheduler!.runOnce(later);
    await intake.rules!.idle();
    const got = await entries('off1');
    expect(got.map((e) => e.event_type)).toEqual(['alert.opened', 'device.offline', 'device.offline']);
    expect(got.filter((e) => e.event_type === 'device.offline').map((e) => e.payload.deviceId)).toEqual(['w-off1', 's-off1']);
  });

  it('the goal tracker: one goal.reached per period', async () => {
    await store.users.upsert({ id: 'g1', name: 'G' });
    await subscribe('g1');
    const goal = await store.goals.create('g1', GoalCreate.parse({ kind: 'weekly_mindfulness_minutes', target: 30 }), { subject: 'g1', kind: 'athlete' });
    const now = Date.now();
    const session = (minutes: number, endMs: number) => Buffer.from(JSON.stringify({
      format: 'manual', metric: 'mindfulness', start: new Date(endMs - minutes * 60_000).toISOString(), end: new Date(endMs).toISOString(),
      values: { duration: minutes, kind: 1, mood_before: 2, mood_after: 4 },
    }));
    await intake.submit('g1', session(35, now));
    await intake.goals.settle();
    await intake.submit('g1', session(10, now - 60 * 60_000)); // the period is met again: no second entry
    await intake.goals.settle();
    const got = (await entries('g1')).filter((e) => e.event_type === 'goal.reached');
    expect(got).toHaveLength(1);
    expect(got[0]!.payload).toMatchObject({ goalId: goal.id, kind: 'weekly_mindfulness_minutes', frequency: 'weekly', period: { start: expect.any(String), end: expect.any(String) }, streak: expect.any(Number) });
  });
});
