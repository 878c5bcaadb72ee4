import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoalCreate, isPulseHubError, type CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';

const actor = { subject: 'ana', kind: 'athlete' };
const steps = (userId: string, id: string, end: string, count: number, adapter = 'pulsehub.v1'): CanonicalEvent => ({
  id, userId, deviceId: adapter === 'manual' ? 'manual' : 'w1', metric: 'steps', time: { at: end }, values: { count: { value: count, unit: '{steps}' } },
  source: { adapter, receivedAt: end },
});
const weight = (userId: string, id: string, at: string, kg: number, adapter = 'manual'): CanonicalEvent => ({
  id, userId, deviceId: adapter === 'manual' ? 'manual' : 'scale1', metric: 'body_weight', time: { at }, values: { kg: { value: kg, unit: 'kg' } },
  source: { adapter, receivedAt: at },
});
const food = (userId: string, id: string, at: string, kcal: number): CanonicalEvent => ({
  id, userId, deviceId: 'manual', metric: 'food', time: { at }, values: { energy: { value: kcal, unit: 'kcal' } },
  notes: { description: 'porridge, "oats" & honey ☕', meal: 'breakfast' }, source: { adapter: 'manual', receivedAt: at },
});

async function store_(s: Store, events: CanonicalEvent[]) {
  await s.observations.commitBatch({ events });
  await s.localRollups.recompute(events.map((e) => ({ userId: e.userId, at: 'at' in e.time ? e.time.at : e.time.end })));
}

// The same storage behaviour on the embedded default (PGlite) and the production database (Postgres).
describe.each(['postgres', 'pglite'] as const)('goals and manual entries on %s', (kind) => {
  let tdb: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    tdb = await createTestDatabase(kind);
    store = await openStore(tdb.target);
    await store.users.upsert({ id: 'ana', name: 'Ana' });
    await store.users.upsert({ id: 'bo', name: 'Bo' });
    // UTC-8 in November: local midnight is 08:00 UTC.
    expect(await store.users.setTimeZone('ana', 'America/Los_Angeles')).toBe(true);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await tdb?.drop();
  });

  it('counts steps per local day of the athlete, across the UTC day boundary', async () => {
    const goal = await store.goals.create('ana', GoalCreate.parse({ kind: 'daily_steps', target: 1000, startDate: '2026-11-20' }), actor);
    await store_(store, [
      // 2026-11-21 23:30 local (07:30 UTC on the 22nd) and 2026-11-22 00:30 local (08:30 UTC on the 22nd).
      steps('ana', 's1', '2026-11-22T07:30:00.000Z', 600),
      steps('ana', 's2', '2026-11-22T08:30:00.000Z', 700),
      steps('ana', 's3', '2026-11-22T20:00:00.000Z', 400),
    ]);
    const p = await store.goals.progress(goal, '2026-11-21', '2026-11-22', new Date('2026-11-22T21:00:00Z'));
    expect(p.timeZone).toBe('America/Los_Angeles');
    expect(p.periods.map((x) => [x.start, x.value, x.met])).toEqual([['2026-11-21', 600, false], ['2026-11-22', 1100, true]]);
    expect(p.current?.start).toBe('2026-11-22');
    // The same readings for a UTC athlete all fall on one day.
    const utcGoal = await store.goals.create('bo', GoalCreate.parse({ kind: 'daily_steps', target: 1000, startDate: '2026-11-20' }), actor);
    await store_(store, [steps('bo', 's1', '2026-11-22T07:30:00.000Z', 600), steps('bo', 's2', '2026-11-22T08:30:00.000Z', 700)]);
    const q = await store.goals.progress(utcGoal, '2026-11-21', '2026-11-22', new Date('2026-11-22T21:00:00Z'));
    expect(q.periods.map((x) => [x.start, x.value])).toEqual([['2026-11-21', null], ['2026-11-22', 1300]]);
  });

  it('a redelivered reading does not count twice', async () => {
    await store_(store, [steps('ana', 's3', '2026-11-22T20:00:00.000Z', 400)]);
    const [goal] = await store.goals.list('ana');
    const p = await store.goals.progress(goal!, '2026-11-22', '2026-11-22', new Date('2026-11-22T21:00:00Z'));
    expect(p.periods[0]?.value).toBe(1100);
  });

  it('counts a streak of consecutive met periods, not broken by an unmet current one', async () => {
    const goal = await store.goals.create('bo', GoalCreate.parse({ kind: 'daily_steps', target: 500, startDate: '2026-11-01' }), actor);
    await store_(store, [
      steps('bo', 'k1', '2026-11-05T12:00:00.000Z', 900), // met, but 11-06 is not: breaks the streak
      steps('bo', 'k2', '2026-11-07T12:00:00.000Z', 500),
      steps('bo', 'k3', '2026-11-08T12:00:00.000Z', 800),
      steps('bo', 'k4', '2026-11-09T12:00:00.000Z', 650),
      steps('bo', 'k5', '2026-11-10T12:00:00.000Z', 100), // today, not yet met
    ]);
    const p = await store.goals.progress(goal, '2026-11-01', '2026-11-10', new Date('2026-11-10T13:00:00Z'));
    expect(p.streak).toBe(3);
    expect(p.current?.met).toBe(false);
    await store_(store, [steps('bo', 'k6', '2026-11-10T14:00:00.000Z', 450)]);
    const q = await store.goals.progress(goal, '2026-11-01', '2026-11-10', new Date('2026-11-10T15:00:00Z'));
    expect(q.streak).toBe(4);
  });

  it('edits a manual entry in place (same id), with an audit row, and keeps the local rollups right', async () => {
    const goal = await store.goals.create('ana', GoalCreate.parse({ kind: 'target_weight', target: 70, startDate: '2026-11-01', targetDate: '2026-12-31' }), actor);
    const w = weight('ana', 'm-w1', '2026-11-23T16:00:00.000Z', 71.5);
    await store_(store, [w]);
    let p = await store.goals.progress(goal, '2026-11-01', '2026-12-31', new Date('2026-11-23T17:00:00Z'));
    expect(p.current).toMatchObject({ value: 71.5, met: false });
    const { before, after } = await store.manualEntries.replace({ ...w, values: { kg: { value: 69.8, unit: 'kg' } } }, actor);
    expect(before.values.kg?.value).toBe(71.5);
    expect(after.id).toBe('m-w1');
    expect(await store.observations.count({ userId: 'ana', metric: 'body_weight' })).toBe(1);
    p = await store.goals.progress(goal, '2026-11-01', '2026-12-31', new Date('2026-11-23T17:00:00Z'));
    expect(p.current).toMatchObject({ value: 69.8, met: true });
    // Moved to another day: the old day loses it, the new one gets it.
    await store.manualEntries.replace({ ...w, time: { at: '2026-11-25T16:00:00.000Z' }, values: { kg: { value: 69.8, unit: 'kg' } } }, actor);
    const days = await store.goals.progress({ ...goal, frequency: 'daily' }, '2026-11-23', '2026-11-25', new Date('2026-11-25T17:00:00Z'));
    expect(days.periods.map((x) => x.value)).toEqual([null, null, 69.8]);
  });

  it('deletes a manual entry, refuses to edit or delete a device reading, keeps text notes', async () => {
    const f = food('ana', 'm-f1', '2026-11-23T15:00:00.000Z', 420);
    await store_(store, [f]);
    expect(await store.manualEntries.get('ana', 'm-f1')).toEqual(f);
    const listed = await store.manualEntries.list({ userId: 'ana', limit: 10 });
    expect(listed.map((e) => e.id)).toEqual(['m-w1', 'm-f1']);
    expect((await store.manualEntries.remove('ana', 'm-f1', actor))?.id).toBe('m-f1');
    expect(await store.manualEntries.get('ana', 'm-f1')).toBeUndefined();
    expect(await store.manualEntries.remove('ana', 'm-f1', actor)).toBeUndefined();

    const err = await store.manualEntries.remove('ana', 's1', actor).catch((e: unknown) => e);
    expect(isPulseHubError(err, 'PH_WEB_NOT_MANUAL')).toBe(true);
    const err2 = await store.manualEntries.replace({ ...steps('ana', 's1', '2026-11-22T07:30:00.000Z', 9000), source: { adapter: 'manual', receivedAt: '2026-11-22T07:30:00.000Z' } }, actor).catch((e: unknown) => e);
    expect(isPulseHubError(err2, 'PH_WEB_NOT_MANUAL')).toBe(true);
    expect((await store.history.latest('ana', 'steps'))[0]?.values.count?.value).not.toBe(9000);
  });

  it('marks a period reached once, and completes a once goal', async () => {
    const [goal] = (await store.goals.list('ana')).filter((g) => g.kind === 'target_weight');
    expect(await store.goals.markReached(goal!, '2026-11-01')).toBe(true);
    expect(await store.goals.markReached(goal!, '2026-11-01')).toBe(false);
    expect((await store.goals.get('ana', goal!.id))?.status).toBe('completed');
  });
});
