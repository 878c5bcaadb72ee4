import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { GoalCreate, ServerMessage, type GoalReachedMessage } from '@pulsehub/contracts';
import { createIntake, type Intake } from '@pulsehub/ingest';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { waitFor } from '@pulsehub/testkit';
import { startIngestFixture, type IngestFixture } from './fixture.js';

const logger = pino({ level: 'silent' });
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const actor = { subject: 'ana', kind: 'athlete' };

describe.each(['postgres', 'pglite'] as const)('manual entries through the pipeline on %s', (kind) => {
  let tdb: TestDatabase;
  let store: Store;
  let intake: Intake;
  const live: { topic: string; msg: Record<string, unknown> }[] = [];
  beforeAll(async () => {
    tdb = await createTestDatabase(kind);
    store = await openStore(tdb.target);
    await store.users.upsert({ id: 'ana', name: 'Ana' });
    await store.users.setTimeZone('ana', 'Europe/Lisbon');
    intake = createIntake({ store, logger, maxDelayMs: 5, rollupRefreshMs: 60_000, publishLive: (topic, payload) => live.push({ topic, msg: JSON.parse(payload) as Record<string, unknown> }) });
  }, 60_000);
  afterAll(async () => {
    await intake?.close();
    await store?.close();
    await tdb?.drop();
  });

  it('stores a manual entry once however often it is submitted (idempotent id)', async () => {
    const entry = { format: 'manual', metric: 'blood_pressure', at: '2026-11-23T08:00:00Z', values: { systolic: 128, diastolic: 82, pulse: 64 } };
    const a = await intake.submit('ana', json(entry));
    const b = await intake.submit('ana', json(entry));
    expect(a.rejection).toBeNull();
    expect(a.events[0]?.id).toBe(b.events[0]?.id);
    expect(a.events[0]).toMatchObject({ deviceId: 'manual', source: { adapter: 'manual' } });
    expect(await store.observations.count({ userId: 'ana', metric: 'blood_pressure' })).toBe(1);
    // Another entry at the same minute with other values is another entry.
    await intake.submit('ana', json({ ...entry, values: { systolic: 131, diastolic: 84 } }));
    expect(await store.observations.count({ userId: 'ana', metric: 'blood_pressure' })).toBe(2);
  });

  it('refuses invalid entries with a reason code and keeps them as dead letters', async () => {
    const out = await intake.submit('ana', json({ format: 'manual', metric: 'mindfulness', start: '2026-11-23T08:00:00Z', end: '2026-11-23T08:10:00Z', values: { duration: 10, mood_before: 9 } }));
    expect(out.rejection?.reason).toBe('PH_INGEST_OUT_OF_RANGE');
    const notManual = await intake.submit('ana', json({ format: 'manual', metric: 'heart_rate', values: { bpm: 60 } }));
    expect(notManual.rejection?.reason).toBe('PH_INGEST_SCHEMA_INVALID');
    const noFood = await intake.submit('ana', json({ format: 'manual', metric: 'food', at: '2026-11-23T08:00:00Z', values: {}, notes: { meal: 'brunch' } }));
    expect(noFood.rejection?.reason).toBe('PH_INGEST_SCHEMA_INVALID');
    const nul = await intake.submit('ana', json({ format: 'manual', metric: 'food', at: '2026-11-23T08:00:00Z', values: { energy: 300 }, notes: { description: 'to\u0000ast' } }));
    expect(nul.rejection?.reason).toBe('PH_INGEST_UNSTORABLE_TEXT');
    const device = await intake.submit('ana', json({ format: 'pulsehub.v1', metric: 'body_weight', values: { kg: 70 } }));
    expect(device.rejection?.reason).toBe('PH_INGEST_SCHEMA_INVALID');
    const reasons = (await store.deadLetters.list()).map((d) => d.reason);
    expect(reasons).toEqual(expect.arrayContaining(['PH_INGEST_OUT_OF_RANGE', 'PH_INGEST_UNSTORABLE_TEXT', 'PH_INGEST_SCHEMA_INVALID']));
    expect(await store.observations.count({ userId: 'ana', metric: 'mindfulness' })).toBe(0);
  });

  it('a goal reached by a manual entry sends goal frames and one goal-reached, after the commit', async () => {
    const now = new Date();
    const goal = await store.goals.create('ana', GoalCreate.parse({ kind: 'weekly_mindfulness_minutes', target: 30 }), actor);
    const session = (minutes: number, endMs: number) => ({
      format: 'manual', metric: 'mindfulness', start: new Date(endMs - minutes * 60_000).toISOString(), end: new Date(endMs).toISOString(),
      values: { duration: minutes, kind: 1, mood_before: 2, mood_after: 4 },
    });
    await intake.submit('ana', json(session(20, now.getTime() - 60_000)));
    await intake.goals.settle();
    const first = live.filter((l) => l.msg.type === 'goal' && l.msg.goalId === goal.id);
    expect(first.at(-1)?.msg).toMatchObject({ athlete: 'ana', kind: 'weekly_mindfulness_minutes', period: { value: 20, met: false } });
    expect(live.some((l) => l.msg.type === 'goal-reached')).toBe(false);

    await intake.submit('ana', json(session(15, now.getTime())));
    await intake.goals.settle();
    const reached = live.filter((l) => l.msg.type === 'goal-reached');
    expect(reached).toHaveLength(1);
    const msg = ServerMessage.parse(reached[0]!.msg) as GoalReachedMessage;
    expect(msg).toMatchObject({ goalId: goal.id, period: { value: 35, target: 30, met: true } });
    expect(reached[0]!.topic).toBe('live/users/ana');
    // The stored reading is there before the frame was sent.
    expect(await store.observations.count({ userId: 'ana', metric: 'mindfulness' })).toBe(2);

    // Re-submitting does not reach it again.
    await intake.submit('ana', json(session(15, now.getTime())));
    await intake.goals.settle();
    expect(live.filter((l) => l.msg.type === 'goal-reached')).toHaveLength(1);
  });
});

describe('the new record kinds over MQTT (pulsehub.v1)', () => {
  let fx: IngestFixture;
  beforeAll(async () => {
    fx = await startIngestFixture('postgres', 'ingest-manual-kinds', logger);
  }, 60_000);
  afterAll(async () => fx?.close());

  it('stores a sleep session, a food log with notes and a timer run with laps from a device', async () => {
    const c = await fx.device('phone-1', 'ana');
    await c.publishAsync('users/ana/events', JSON.stringify({ readings: [
      { id: 'sl-1', metric: 'sleep', start: '2026-11-22T23:00:00Z', end: '2026-11-23T07:00:00Z', values: { asleep: 440, deep: 80, rem: 100, light: 260, awake: 40, quality: 7, efficiency: 92 } },
      { id: 'fd-1', metric: 'food', at: '2026-11-23T08:00:00Z', values: { energy: 350, protein: 12, water: 250 }, notes: { description: 'toast & tea', meal: 'breakfast' } },
      { id: 'tm-1', metric: 'timer_session', start: '2026-11-23T09:00:00Z', end: '2026-11-23T09:03:00Z', values: { duration: 180, laps: 3, mode: 1 }, laps: [60, 58, 62] },
    ] }), { qos: 1 });
    await waitFor(async () => (await fx.store.observations.count({ userId: 'ana' })) === 3, { what: 'three readings' });
    const latest = await fx.store.history.latest('ana');
    expect(latest.find((e) => e.metric === 'food')?.notes).toEqual({ description: 'toast & tea', meal: 'breakfast' });
    expect(latest.find((e) => e.metric === 'timer_session')?.series).toEqual({ laps: { unit: 's', values: [60, 58, 62] } });
    expect(latest.find((e) => e.metric === 'sleep')?.values.quality).toEqual({ value: 7, unit: '{score}' });
  });
});
