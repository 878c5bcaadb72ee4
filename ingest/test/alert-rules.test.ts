import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { parseAlertTopic, type AlertJson } from '@pulsehub/contracts';
import { createIntake, type Intake } from '@pulsehub/ingest';
import { sql } from 'drizzle-orm';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, queryStore, type TestDatabase } from '@pulsehub/store/testing';
import { localDay, recordInsight } from '@pulsehub/ingest';
import { waitFor } from '@pulsehub/testkit';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

interface Announced { userId: string; change: string; alert: AlertJson }

/** An intake as ingest runs it, with the alert announcements it publishes collected. */
function intakeOn(store: Store, announced: Announced[]): Intake {
  return createIntake({
    // Updates are throttled in production (30 s); here every holding reading is written.
    store, logger: log, maxBatch: 50, maxDelayMs: 2, rollupRefreshMs: 600_000, alertUpdateEveryMs: 0,
    publishLive: (topic, payload) => {
      const userId = parseAlertTopic(topic);
      if (userId) announced.push({ userId, ...(JSON.parse(payload) as { change: string; alert: AlertJson }) });
    },
  });
}

/** Sends pulsehub.v1 readings as one message and resolves once they are committed. */
function send(intake: Intake, user: string, device: string, readings: object[]): Promise<void> {
  return new Promise((resolve) => intake.accept(`users/${user}/events/${device}`, Buffer.from(JSON.stringify({ readings })), resolve));
}

const bp = (id: string, s: number, sys: number, dia: number) => ({ id, metric: 'blood_pressure', at: iso(s), values: { systolic: sys, diastolic: dia } });
const hr = (id: string, s: number, bpm: number) => ({ id, metric: 'heart_rate', at: iso(s), values: { bpm } });

describe.each(['postgres', 'pglite'] as const)('alert rules after commit on %s', (kind) => {
  let tdb: TestDatabase;
  let store: Store;
  let intake: Intake;
  const announced: Announced[] = [];
  const of = (user: string, rule: string) => announced.filter((a) => a.userId === user && a.alert.ruleId === rule).map((a) => a.change);
  const rows = (user: string, rule: string) => store.alerts.list(user).then((r) => r.filter((a) => a.ruleId === rule));
  const settled = () => intake.rules!.idle();

  beforeAll(async () => {
    tdb = await createTestDatabase(kind);
    store = await openStore(tdb.target);
    intake = intakeOn(store, announced);
  }, 60_000);
  afterAll(async () => {
    await intake?.close();
    await store?.close();
    await tdb?.drop();
  });

  it('hypertensive crisis: fires on 185/125, updates the one open row while it holds, resolves on a normal reading', async () => {
    await send(intake, 'bp1', 'cuff1', [bp('b1', 0, 185, 125)]);
    await settled();
    let r = await rows('bp1', 'bp-crisis');
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ severity: 'critical', resolvedAt: null, readingIds: ['b1'] });
    await send(intake, 'bp1', 'cuff1', [bp('b2', 60, 190, 110)]);
    await settled();
    r = await rows('bp1', 'bp-crisis');
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ updates: 1, readingIds: ['b1', 'b2'], resolvedAt: null });
    await send(intake, 'bp1', 'cuff1', [bp('b3', 120, 118, 76)]);
    await settled();
    r = await rows('bp1', 'bp-crisis');
    expect(r).toHaveLength(1);
    expect(r[0]!.resolvedAt).not.toBeNull();
    expect(of('bp1', 'bp-crisis')).toEqual(['opened', 'updated', 'resolved']);
  });

  it('BP category per ACC/AHA 2017: stage 1, then stage 2 on the same row, resolved when normal', async () => {
    await send(intake, 'bp2', 'cuff2', [bp('c1', 0, 134, 78)]);
    await settled();
    expect((await rows('bp2', 'bp-category'))[0]?.detail).toMatchObject({ category: 'stage1' });
    await send(intake, 'bp2', 'cuff2', [bp('c2', 60, 145, 92)]);
    await settled();
    const r = await rows('bp2', 'bp-category');
    expect(r).toHaveLength(1);
    expect(r[0]!.detail).toMatchObject({ category: 'stage2' });
    await send(intake, 'bp2', 'cuff2', [bp('c3', 120, 112, 70)]);
    await settled();
    expect((await rows('bp2', 'bp-category'))[0]!.resolvedAt).not.toBeNull();
    expect(await rows('bp2', 'bp-crisis')).toHaveLength(0);
  });

  it('heart rate above 95 % of max for more than 120 s: not before, once while it holds, resolved when it drops', async () => {
    await store.users.upsert({ id: 'hr1', name: 'H', maxHr: 200 });
    // 191 bpm > 190 (95 % of 200) for 0..100 s: not long enough.
    await send(intake, 'hr1', 'strap1', Array.from({ length: 101 }, (_, i) => hr(`h${i}`, i, 191)));
    await settled();
    expect(await rows('hr1', 'hr-high')).toHaveLength(0);
    await send(intake, 'hr1', 'strap1', Array.from({ length: 60 }, (_, i) => hr(`h${101 + i}`, 101 + i, 193)));
    await settled();
    const r = await rows('hr1', 'hr-high');
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ severity: 'critical', resolvedAt: null });
    expect(Number(r[0]!.detail.seconds)).toBeGreaterThan(120);
    await send(intake, 'hr1', 'strap1', [hr('h-low', 200, 150)]);
    await settled();
    const after = await rows('hr1', 'hr-high');
    expect(after).toHaveLength(1);
    expect(after[0]!.resolvedAt).not.toBeNull();
  });

  it('SpO2: one low sample is ignored, two within 5 minutes fire, a normal one resolves', async () => {
    await send(intake, 'sp1', 'ox1', [{ id: 's1', metric: 'spo2', at: iso(0), values: { percent: 88 } }]);
    await send(intake, 'sp1', 'ox1', [{ id: 's2', metric: 'spo2', at: iso(600), values: { percent: 87 } }]); // 10 min later
    await settled();
    expect(await rows('sp1', 'spo2-low')).toHaveLength(0);
    await send(intake, 'sp1', 'ox1', [{ id: 's3', metric: 'spo2', at: iso(660), values: { percent: 89 } }]);
    await settled();
    const r = await rows('sp1', 'spo2-low');
    expect(r).toHaveLength(1);
    expect(r[0]!.readingIds).toEqual(['s2', 's3']);
    await send(intake, 'sp1', 'ox1', [{ id: 's4', metric: 'spo2', at: iso(700), values: { percent: 97 } }]);
    await settled();
    expect((await rows('sp1', 'spo2-low'))[0]!.resolvedAt).not.toBeNull();
  });

  it('glucose out of range, with a per-user override of the range', async () => {
    await send(intake, 'gl1', 'cgm1', [{ id: 'g1', metric: 'blood_glucose', at: iso(0), values: { glucose: 150 } }]);
    await settled();
    expect(await rows('gl1', 'glucose-range')).toHaveLength(0);
    await store.alertRules.put('gl1', 'glucose-range', { enabled: true, params: { high: 140 } }, 'admin');
    intake.rules!.forget('gl1');
    await send(intake, 'gl1', 'cgm1', [{ id: 'g2', metric: 'blood_glucose', at: iso(300), values: { glucose: 150 } }]);
    await settled();
    expect((await rows('gl1', 'glucose-range'))[0]).toMatchObject({ resolvedAt: null, detail: { level: 'high' } });
    await send(intake, 'gl1', 'cgm1', [{ id: 'g3', metric: 'blood_glucose', at: iso(600), values: { glucose: 100 } }]);
    await settled();
    expect((await rows('gl1', 'glucose-range'))[0]!.resolvedAt).not.toBeNull();
  });

  it('battery below 15 % fires, does not duplicate, resolves when charged', async () => {
    const batt = (id: string, s: number, percent: number) => ({ id, metric: 'device_battery', at: iso(s), values: { percent } });
    await send(intake, 'ba1', 'w9', [batt('x1', 0, 12)]);
    await send(intake, 'ba1', 'w9', [batt('x2', 60, 11)]);
    await settled();
    expect(await rows('ba1', 'battery-low')).toHaveLength(1);
    await send(intake, 'ba1', 'w9', [batt('x3', 120, 80)]);
    await settled();
    const r = await rows('ba1', 'battery-low');
    expect(r).toHaveLength(1);
    expect(r[0]!.resolvedAt).not.toBeNull();
  });

  it('a redelivered reading fires nothing twice (also in a batch with a new reading)', async () => {
    await send(intake, 're1', 'cuff3', [bp('r1', 0, 185, 125)]);
    await settled();
    const before = announced.filter((a) => a.userId === 're1').length;
    await send(intake, 're1', 'cuff3', [bp('r1', 0, 185, 125)]); // the broker delivers it again
    await send(intake, 're1', 'cuff3', [bp('r1', 0, 185, 125), { id: 'n1', metric: 'steps', at: iso(5), values: { count: 10 } }]);
    await settled();
    expect(announced.filter((a) => a.userId === 're1').length).toBe(before);
    const r = await rows('re1', 'bp-crisis');
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ updates: 0, readingIds: ['r1'] });
  });

  it('a reading whose batch never commits fires nothing', async () => {
    const down: Store = { ...store, observations: { ...store.observations, commitBatch: async () => { throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }); } } };
    const seen: Announced[] = [];
    const stuck = intakeOn(down, seen);
    let committed = false;
    stuck.accept('users/fc1/events/cuff4', Buffer.from(JSON.stringify(bp('f1', 0, 200, 130))), () => (committed = true));
    await waitFor(() => stuck.stats.failedCommits >= 2, { what: 'two failed commits' });
    await stuck.close();
    await stuck.rules!.idle();
    expect(committed).toBe(false);
    expect(seen).toEqual([]);
    expect(await store.alerts.list('fc1')).toEqual([]);
  });

  it('scheduled: a device silent longer than its interval opens device-offline; a reading resolves it', async () => {
    await store.users.upsert({ id: 'off1', name: 'O' });
    expect(await store.devices.upsert({ id: 'w-off1', userId: 'off1', kind: 'watch' })).toBe(true);
    const now = new Date('2026-11-20T12:00:00Z');
    await store.devices.touch([{ id: 'w-off1', at: new Date(now.getTime() - 2 * 3600_000) }]);
    await intake.ruleScheduler!.runOnce(now);
    await intake.ruleScheduler!.runOnce(now); // still silent: no second row, no new announcement
    await settled();
    expect(await rows('off1', 'device-offline')).toHaveLength(1);
    expect(of('off1', 'device-offline')).toEqual(['opened']);
    await store.devices.touch([{ id: 'w-off1', at: new Date(now.getTime() - 60_000) }]);
    await intake.ruleScheduler!.runOnce(now);
    await settled();
    expect((await rows('off1', 'device-offline'))[0]!.resolvedAt).not.toBeNull();
  });

  it('scheduled: weight change over 2 % in a week, resting-HR 7-day mean 5 bpm over the 28-day baseline', async () => {
    const now = new Date();
    const ago = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
    await store.users.upsert({ id: 'wt1', name: 'W' });
    await send(intake, 'wt1', 'scale1', [
      { id: 'k1', metric: 'body_weight', at: ago(6), values: { kg: 80 } },
      { id: 'k2', metric: 'body_weight', at: ago(1), values: { kg: 82.2 } }, // +2.75 %
    ]);
    const day = (d: number) => ago(d).slice(0, 10);
    // Baseline 60 bpm for days 8..34, recent 67 bpm for days 0..6.
    const rollups = [...Array.from({ length: 27 }, (_, i) => ({ d: 8 + i, r: 60 })), ...Array.from({ length: 7 }, (_, i) => ({ d: i, r: 67 }))];
    const putRollups = (rows: { d: number; r: number }[]) => queryStore(store, sql`insert into daily_rollups (user_id, day, resting_hr, hr_count)
      values ${sql.join(rows.map(({ d, r }) => sql`('wt1', ${day(d)}::date, ${r}, 100)`), sql`, `)}
      on conflict (user_id, day) do update set resting_hr = excluded.resting_hr`);
    await putRollups(rollups);
    await intake.ruleScheduler!.runOnce(now);
    await settled();
    expect((await rows('wt1', 'weight-change'))[0]).toMatchObject({ resolvedAt: null, readingIds: ['k1', 'k2'] });
    expect((await rows('wt1', 'resting-hr-trend'))[0]).toMatchObject({ resolvedAt: null, detail: { delta: 7 } });
    await send(intake, 'wt1', 'scale1', [{ id: 'k0', metric: 'body_weight', at: ago(8), values: { kg: 82 } }]); // outside the week: no change
    await putRollups(rollups.map(({ d }) => ({ d, r: 61 })));
    await intake.ruleScheduler!.runOnce(now);
    await settled();
    expect((await rows('wt1', 'resting-hr-trend'))[0]!.resolvedAt).not.toBeNull();
    expect((await rows('wt1', 'weight-change'))[0]!.resolvedAt).toBeNull(); // 80 → 82.2 still within the week
  });

  it('scheduled: low steps by the configured hour of the athlete\'s local day (time zone on the profile)', async () => {
    await store.users.upsert({ id: 'st1', name: 'S' });
    expect(await store.users.setTimeZone('st1', 'America/New_York')).toBe(true);
    const now = new Date();
    const { hour } = localDay(now, 'America/New_York');
    await send(intake, 'st1', 'w-st1', [{ id: 'p1', metric: 'steps', start: new Date(now.getTime() - 120_000).toISOString(), end: new Date(now.getTime() - 60_000).toISOString(), values: { count: 300 } }]);
    // The check hour is now (local): 300 < 5000 fires; an hour later than now: nothing yet.
    await store.alertRules.put('st1', 'steps-low', { enabled: true, params: { hour: (hour + 1) % 24 === 0 ? 23 : hour + 1 } }, 'st1');
    intake.rules!.forget('st1');
    await intake.ruleScheduler!.runOnce(now);
    await settled();
    if (hour < 23) expect(await rows('st1', 'steps-low')).toHaveLength(0);
    await store.alertRules.put('st1', 'steps-low', { enabled: true, params: { hour } }, 'st1');
    intake.rules!.forget('st1');
    await intake.ruleScheduler!.runOnce(now);
    await settled();
    expect((await rows('st1', 'steps-low'))[0]).toMatchObject({ severity: 'info', resolvedAt: null, detail: { steps: 300, timeZone: 'America/New_York' } });
  });

  it('local day in a time zone: hour and midnight', () => {
    const at = new Date('2026-11-20T03:30:00Z'); // 22:30 the day before in New York (UTC−5)
    expect(localDay(at, 'America/New_York')).toEqual({ hour: 22, midnight: new Date('2026-11-19T05:00:00Z') });
    expect(localDay(at, null)).toEqual({ hour: 3, midnight: new Date('2026-11-20T00:00:00Z') });
  });

  it('records an insight once per key', async () => {
    const a = await store.alerts.recordInsight({ userId: 'in1', ruleId: 'goal-reached', key: 'goal-reached:g1:2026-11-20', title: 'Daily steps goal reached' });
    const b = await store.alerts.recordInsight({ userId: 'in1', ruleId: 'goal-reached', key: 'goal-reached:g1:2026-11-20', title: 'Daily steps goal reached' });
    expect(a).toMatchObject({ severity: 'info', ruleId: 'goal-reached' });
    expect(a!.resolvedAt).not.toBeNull();
    expect(b).toBeNull();
    expect(await store.alerts.list('in1')).toHaveLength(1);
    const published: string[] = [];
    const key = 'goal-reached:g2:2026-11-20';
    expect(await recordInsight(store, (topic, payload) => published.push(`${topic} ${payload}`), { userId: 'in1', ruleId: 'goal-reached', key, title: 'Weekly workouts goal reached' })).toMatchObject({ severity: 'info' });
    expect(await recordInsight(store, (topic, payload) => published.push(`${topic} ${payload}`), { userId: 'in1', ruleId: 'goal-reached', key, title: 'Weekly workouts goal reached' })).toBeNull();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatch(/^live\/alerts\/in1 \{"change":"insight"/);
  });
});
