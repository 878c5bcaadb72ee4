import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { eventsTopic, GoalProgressResponse, GoalResponse, ManualEntriesResponse, ManualEntryResponse } from '@pulsehub/contracts';
import { connectDevice, LiveClient, startTestHub, waitFor, type TestHub } from '@pulsehub/testkit';

// Issue 13 parts 2 and 3 through a whole hub: manual entries enter the ingest pipeline over
// REST, goals are set and measured, and a goal reached by a manual entry is pushed live.
describe.each(['postgres', 'pglite'] as const)('manual entries and goals API on %s', (kind) => {
  let t: TestHub;
  let admin: string;
  let ana: string;
  let coach: string;
  let watch: MqttClient;
  const call = async (method: string, path: string, token: string | null, body?: unknown) => {
    const res = await fetch(`${t.hub.http.url}${path}`, {
      method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> & { error?: { code: string; message: string } } };
  };

  beforeAll(async () => {
    t = await startTestHub(kind);
    await t.hub.store.users.upsert({ id: 'ana', name: 'Ana' });
    admin = await t.hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 });
    ana = await t.hub.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 });
    coach = await t.hub.mint({ subject: 'coach-c', kind: 'coach', ttlSeconds: 600 });
    watch = await connectDevice(t.hub, 'scale-ana', await t.hub.mint({ subject: 'scale-ana', kind: 'device', users: ['ana'] }));
  }, 60_000);
  afterAll(async () => {
    await watch?.endAsync();
    await t?.close();
  });

  it('creates a manual entry through the pipeline; the same entry again is not stored twice', async () => {
    const entry = { id: 'form-1', metric: 'food', at: '2026-11-23T08:00:00Z', values: { energy: 420, protein: 15 }, notes: { description: 'porridge', meal: 'breakfast' } };
    const first = await call('POST', '/api/users/ana/manual', ana, entry);
    expect(first.status).toBe(201);
    const parsed = ManualEntryResponse.parse(first.body);
    expect(parsed.entry).toMatchObject({ id: 'form-1', metric: 'food', deviceId: 'manual', source: { adapter: 'manual' }, notes: { meal: 'breakfast' } });
    const again = await call('POST', '/api/users/ana/manual', ana, entry);
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    expect(await t.hub.store.observations.count({ userId: 'ana', metric: 'food' })).toBe(1);
    const list = ManualEntriesResponse.parse((await call('GET', '/api/users/ana/manual?limit=10', ana)).body);
    expect(list.entries.map((e) => e.id)).toEqual(['form-1']);
  });

  it('answers validation errors with a code naming each field, and keeps a refused entry as a dead letter', async () => {
    const bad = await call('POST', '/api/users/ana/manual', ana, { metric: 'sleep', values: { asleep: 'eight hours' }, mood: 3 });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('PH_WEB_BAD_REQUEST');
    expect(bad.body.error?.message).toMatch(/values/);
    expect(bad.body.error?.message).toMatch(/mood/);
    const range = await call('POST', '/api/users/ana/manual', ana, { metric: 'blood_pressure', at: '2026-11-23T09:00:00Z', values: { systolic: 400, diastolic: 80 } });
    expect(range.status).toBe(422);
    expect(range.body.error?.code).toBe('PH_INGEST_OUT_OF_RANGE');
    expect((await t.hub.store.deadLetters.list({ reason: 'PH_INGEST_OUT_OF_RANGE' })).length).toBe(1);
    const goal = await call('POST', '/api/users/ana/goals', ana, { kind: 'jogging', target: -1, frequency: 'monthly' });
    expect(goal.status).toBe(400);
    for (const field of ['kind', 'target', 'frequency']) expect(goal.body.error?.message).toContain(field);
  });

  it('edits a manual entry keeping its id, with an audit row; refuses to edit or delete a device reading', async () => {
    const created = ManualEntryResponse.parse((await call('POST', '/api/users/ana/manual', ana, { metric: 'body_weight', at: '2026-11-23T07:00:00Z', values: { kg: 72.4 } })).body);
    const id = created.entry.id;
    const edited = await call('PUT', `/api/users/ana/manual/${id}`, ana, { metric: 'body_weight', at: '2026-11-23T07:00:00Z', values: { kg: 71.9 } });
    expect(edited.status).toBe(200);
    expect(ManualEntryResponse.parse(edited.body).entry).toMatchObject({ id, values: { kg: { value: 71.9 } } });
    const audit = await t.hub.store.audit.list({ limit: 50 });
    expect(audit.find((a) => a.action === 'manual.update' && a.target === `ana/${id}`)).toMatchObject({ actor: 'ana', actorKind: 'athlete' });

    await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 'dev-w1', metric: 'body_weight', at: '2026-11-23T06:00:00Z', values: { kg: 72 } }), { qos: 1 });
    await waitFor(async () => (await t.hub.store.manualEntries.get('ana', 'dev-w1')) !== undefined, { timeout: 10_000, what: 'the device reading' });
    const del = await call('DELETE', '/api/users/ana/manual/dev-w1', ana);
    expect(del.status).toBe(409);
    expect(del.body.error?.code).toBe('PH_WEB_NOT_MANUAL');
    expect((await call('PUT', '/api/users/ana/manual/dev-w1', admin, { metric: 'body_weight', at: '2026-11-23T06:00:00Z', values: { kg: 60 } })).body.error?.code).toBe('PH_WEB_NOT_MANUAL');
    expect((await call('DELETE', `/api/users/ana/manual/${id}`, ana)).status).toBe(204);
    expect((await call('GET', `/api/users/ana/manual/${id}`, ana)).status).toBe(404);
    expect((await call('DELETE', `/api/users/ana/manual/${id}`, ana)).status).toBe(404);
    // Only the athlete (or an admin) writes; a coach with consent may read.
    await t.hub.store.consents.grant('ana', 'coach-c');
    expect((await call('POST', '/api/users/ana/manual', coach, { metric: 'body_weight', at: '2026-11-23T07:00:00Z', values: { kg: 70 } })).status).toBe(403);
    expect((await call('GET', '/api/users/ana/manual', coach)).status).toBe(200);
  });

  it('a goal reached by a manual entry: goal-reached on a consented coach\'s /live, progress and streak over REST', async () => {
    expect((await call('PATCH', '/api/users/ana/profile', ana, { timeZone: 'Not/AZone' })).status).toBe(400);
    expect((await call('PATCH', '/api/users/ana/profile', ana, { timeZone: 'Asia/Tokyo' })).status).toBe(200);
    const goal = GoalResponse.parse((await call('POST', '/api/users/ana/goals', ana, { kind: 'nightly_sleep_hours', target: 7, priority: 1 })).body).goal;
    expect(goal).toMatchObject({ frequency: 'daily', status: 'active', unit: 'h' });
    const live = await LiveClient.open(t.hub, coach);
    live.send({ type: 'subscribe', athletes: ['ana'] });
    await live.next('subscribed');
    const end = Date.now() - 60_000;
    const sleep = (hours: number, endMs: number) => ({ metric: 'sleep', start: new Date(endMs - hours * 3_600_000).toISOString(), end: new Date(endMs).toISOString(), values: { asleep: hours * 60, quality: 8 } });
    const posted = await call('POST', '/api/users/ana/manual', ana, sleep(7.5, end));
    expect(posted.status).toBe(201);
    const reached = await live.next('goal-reached', (m) => m.goalId === goal.id);
    expect(reached.period).toMatchObject({ value: 7.5, target: 7, met: true });
    // An edit moves the goal back, live too (a new goal frame, no second goal-reached).
    const id = ManualEntryResponse.parse(posted.body).entry.id;
    let from = live.messages.length;
    expect((await call('PUT', `/api/users/ana/manual/${id}`, ana, sleep(6, end))).status).toBe(200);
    const moved = await live.next('goal', (m) => m.goalId === goal.id && m.period.value === 6, { from });
    expect(moved.period.met).toBe(false);
    from = live.messages.length;
    expect((await call('PUT', `/api/users/ana/manual/${id}`, ana, sleep(7.5, end))).status).toBe(200);
    await live.next('goal', (m) => m.goalId === goal.id && m.period.value === 7.5, { from });
    expect(live.messages.filter((m) => m.type === 'goal-reached')).toHaveLength(1);
    live.close();

    const p = GoalProgressResponse.parse((await call('GET', `/api/users/ana/goals/${goal.id}/progress`, coach)).body);
    expect(p.timeZone).toBe('Asia/Tokyo');
    expect(p.current).toMatchObject({ met: true });
    expect(p.streak).toBe(1);
    const bad = await call('GET', `/api/users/ana/goals/${goal.id}/progress?from=2026-13-01`, ana);
    expect(bad.status).toBe(400);
    const updated = await call('PUT', `/api/users/ana/goals/${goal.id}`, ana, { status: 'abandoned' });
    expect(GoalResponse.parse(updated.body).goal.status).toBe('abandoned');
    expect((await call('DELETE', `/api/users/ana/goals/${goal.id}`, ana)).status).toBe(204);
    const audit = await t.hub.store.audit.list({ limit: 50 });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['goal.create', 'goal.update', 'goal.delete', 'user.time_zone']));
  });
});
