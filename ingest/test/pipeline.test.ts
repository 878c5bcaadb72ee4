import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { startIngestFixture, type IngestFixture } from './fixture.js';
import { waitFor } from '@pulsehub/testkit';
import { eventsTopic, type CanonicalEvent } from '@pulsehub/contracts';
import { DeviceDirectory, ingestSubscription, maxHrFor, replayDeadLetters, startRetention, type IngestService } from '@pulsehub/ingest';
import { restingHeartRate, timeInZones } from '@pulsehub/physiology';
import type { Device, Store } from '@pulsehub/store';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

describe('device directory: one lookup per device at a time, messages of a device in order', () => {
  const row = (id: string, adapter = 'pulsehub.v1'): Device => ({ id, userId: 'ana', kind: 'watch', model: null, adapter, allowedAdapters: null, createdAt: new Date(0), revokedAt: null, lastSeenAt: null, battery: null, batteryAt: null, users: ['ana'] });

  it('shares one in-flight query between concurrent misses and runs the device\'s messages in arrival order', async () => {
    const calls: string[] = [];
    const release: (() => void)[] = [];
    const dir = new DeviceDirectory({
      lookup: (id) => { calls.push(id); return new Promise((r) => release.push(() => r(row(id, id === 'slow' ? 'withings.v1' : 'pulsehub.v1')))); },
      ttlMs: 60_000, retryMs: 10, logger: log,
    });
    const seen: string[] = [];
    for (let i = 0; i < 100; i++) dir.dispatch('slow', (d) => seen.push(`slow:${i}:${d?.registered}`));
    dir.dispatch('fast', (d) => seen.push(`fast:0:${d?.registered}`));
    expect(calls).toEqual(['slow', 'fast']);
    release[1]!(); // the other device's lookup answers first: it is not held up by the slow one
    await new Promise((r) => setTimeout(r, 0));
    expect(seen).toEqual(['fast:0:pulsehub.v1']);
    release[0]!();
    await new Promise((r) => setTimeout(r, 0));
    dir.dispatch('slow', (d) => seen.push(`slow:100:${d?.registered}`)); // cached now: synchronous
    expect(seen.slice(1)).toEqual(Array.from({ length: 101 }, (_, i) => `slow:${i}:withings.v1`));
    expect(dir.lookups).toBe(2);
  });

  it('retries a failed lookup for a device never seen (its messages wait) and keeps the last answer for a known one', async () => {
    let fail = true;
    let n = 0;
    const dir = new DeviceDirectory({ lookup: async (id) => { n++; if (fail) throw new Error('database down'); return row(id); }, ttlMs: 0, retryMs: 5, logger: log });
    const seen: number[] = [];
    dir.dispatch('w', () => seen.push(1));
    dir.dispatch('w', () => seen.push(2));
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual([]);
    expect(n).toBeGreaterThan(1);
    fail = false;
    await waitFor(() => seen.length === 2, { what: 'the waiting messages' });
    expect(seen).toEqual([1, 2]);
    fail = true; // known device, lookup fails: the previous registration is used
    dir.dispatch('w', (d) => seen.push(d?.registered === 'pulsehub.v1' ? 3 : -1));
    await waitFor(() => seen.length === 3, { what: 'the third message' });
    expect(seen).toEqual([1, 2, 3]);
  });

  it('spreads the re-lookups of devices registered together over the last quarter of the TTL', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const dir = new DeviceDirectory({ lookup: async (id) => row(id), ttlMs: 1000, retryMs: 5, logger: log });
      const ids = Array.from({ length: 400 }, (_, i) => `fleet-${i}`);
      const round = async () => {
        const before = dir.lookups;
        let done = 0;
        for (const id of ids) dir.dispatch(id, () => done++);
        await waitFor(() => done === ids.length, { what: 'every device dispatched' });
        return dir.lookups - before;
      };
      expect(await round()).toBe(400);
      vi.advanceTimersByTime(700); // before 75 %: every entry still holds
      expect(await round()).toBe(0);
      vi.advanceTimersByTime(175); // at 87.5 %: about half have expired, not all at once
      const some = await round();
      expect(some).toBeGreaterThan(100);
      expect(some).toBeLessThan(300);
      vi.advanceTimersByTime(1000);
      expect(await round()).toBe(400);
    } finally {
      vi.useRealTimers();
    }
  });
});

it('subscribes to the shared filter when a share group is configured', () => {
  expect(ingestSubscription()).toBe('users/+/events/+');
  expect(ingestSubscription('workers')).toBe('$share/workers/users/+/events/+');
});

// One pipeline suite, two targets: the embedded default (PGlite) and Postgres.
describe.each(['postgres', 'pglite'] as const)('ingest pipeline on %s', (kind) => {
  let store: Store;
  let ingest: IngestService;

  const device = (deviceId: string, userId: string): Promise<MqttClient> => fixture!.device(deviceId, userId);
  const publish = (c: MqttClient, userId: string, body: unknown) => c.publishAsync(eventsTopic(userId), JSON.stringify(body), { qos: 1 });
  const hr = (i: number, bpm: number, id: string | null = `hr-${i}`) => ({ ...(id ? { id } : {}), metric: 'heart_rate', at: new Date(Date.UTC(2026, 10, 20, 8, 0, 0) + i * 5000).toISOString(), values: { bpm } });

  let fixture: IngestFixture | undefined;
  beforeAll(async () => {
    fixture = await startIngestFixture(kind, `ingest-${kind}`, log);
    ({ store, ingest } = fixture);
  }, 60_000);
  afterAll(() => fixture?.close());

  it('detects the storage layout when migrating: a plain table without TimescaleDB', () => {
    // TimescaleDB is not installed on this machine: the hypertable branch is not exercised here.
    expect(store.storage).toBe('plain');
  });

  it('stores each reading once however often it is sent, with or without an id, and counts it once in the daily rollup', async () => {
    const w = await device('w-idem', 'ida');
    const batch = Array.from({ length: 120 }, (_, i) => hr(i, 60 + (i % 40), i % 2 === 0 ? `idem-${i}` : null));
    for (const r of batch) await publish(w, 'ida', r);
    for (const r of batch.slice(0, 60)) await publish(w, 'ida', r); // redelivered / resent
    await publish(w, 'ida', { readings: batch.slice(60, 90) });
    await waitFor(async () => ingest.stats.stored + ingest.stats.duplicates >= 210 && (await store.observations.count({ userId: 'ida' })) === 120, { what: '120 stored readings' });
    const [day] = await store.history.daily({ userId: 'ida', from: '2026-11-20', to: '2026-11-20' });
    expect(day?.hrCount).toBe(120);
    expect(day?.hrMin).toBe(60);
    expect(day?.hrMax).toBe(99);
    expect(day?.hrAvg).toBeCloseTo(batch.reduce((s, r) => s + r.values.bpm, 0) / 120, 6);
  });

  it('uses the registered adapter unless the payload names one the device may use', async () => {
    await store.users.upsert({ id: 'sam', name: 'Sam' });
    await store.devices.upsert({ id: 'scale-1', userId: 'sam', kind: 'scale', adapter: 'withings.v1' });
    await store.devices.upsert({ id: 'phone-1', userId: 'sam', kind: 'phone', adapter: 'pulsehub.v1' });
    await store.devices.upsert({ id: 'strap-1', userId: 'sam', kind: 'strap', adapter: 'pulsehub.v1', allowedAdapters: ['omh.v1'] });
    const scale = await device('scale-1', 'sam');
    const phone = await device('phone-1', 'sam');
    const strap = await device('strap-1', 'sam');
    const withings = { grpid: 7, date: 1795305600, category: 1, measures: [{ value: 7210, type: 1, unit: -2 }] };
    const kit = { format: 'healthkit.v1', samples: [{ type: 'HKQuantityTypeIdentifierBodyMass', startDate: '2026-11-20T07:00:00Z', value: 160, unit: 'lb' }] };
    await publish(scale, 'sam', withings); // no format: the registered adapter
    await publish(scale, 'sam', { format: 'pulsehub.v1', id: 'scale-native', metric: 'body_weight', at: '2026-11-20T07:01:00Z', values: { kg: 72 } }); // every kind may send the hub's format
    await publish(scale, 'sam', kit); // a scale may not relay HealthKit
    await publish(phone, 'sam', kit); // a phone may
    await publish(strap, 'sam', kit); // an explicit list replaces the kind's
    await waitFor(async () => (await store.deadLetters.list({ reason: 'PH_INGEST_ADAPTER_NOT_ALLOWED' })).length === 2, { what: 'two refusals' });
    await waitFor(async () => (await store.observations.count({ userId: 'sam' })) === 3, { what: 'three weights' });
    const latest = await store.history.range({ userId: 'sam', metric: 'body_weight', from: new Date('2026-01-01'), to: new Date('2027-01-01'), limit: 10 });
    expect(latest.map((e) => `${e.deviceId}:${e.source.adapter}`).sort()).toEqual(['phone-1:healthkit.v1', 'scale-1:pulsehub.v1', 'scale-1:withings.v1']);
    const refused = await store.deadLetters.list({ reason: 'PH_INGEST_ADAPTER_NOT_ALLOWED' });
    expect(refused.map((r) => r.deviceId).sort()).toEqual(['scale-1', 'strap-1']);
    expect(refused.find((r) => r.deviceId === 'strap-1')?.detail).toContain('"omh.v1"');
  });

  it('replays dead letters after the fix, stores them once and marks them replayed', async () => {
    // The fix here: the strap's registration now allows HealthKit exports.
    await store.devices.upsert({ id: 'strap-1', userId: 'sam', kind: 'strap', adapter: 'pulsehub.v1', allowedAdapters: ['omh.v1', 'healthkit.v1'] });
    const report = await replayDeadLetters(store, { reason: 'PH_INGEST_ADAPTER_NOT_ALLOWED' });
    expect(report.replayed.map((r) => r.id)).toHaveLength(1);
    expect(report.replayed[0]).toMatchObject({ events: 1, stored: 1 });
    expect(report.failed.map((f) => f.reason)).toEqual(['PH_INGEST_ADAPTER_NOT_ALLOWED']); // the scale's is still refused
    expect(await store.observations.count({ userId: 'sam' })).toBe(4);
    const again = await replayDeadLetters(store, { reason: 'PH_INGEST_ADAPTER_NOT_ALLOWED' });
    expect(again.replayed).toEqual([]);
    const [row] = await store.deadLetters.list({ id: report.replayed[0]!.id });
    expect(row?.replayedAt).toBeInstanceOf(Date);
    expect(await store.observations.count({ userId: 'sam' })).toBe(4);
  });

  it('keeps resting heart rate and time in zones up to date with the derived formulas', async () => {
    await store.users.upsert({ id: 'zoe', name: 'Zoe', birthYear: 1996 });
    const w = await device('w-zoe', 'zoe');
    // 40 minutes, one reading every 5 s: 15 calm minutes, then a ramp.
    const readings = Array.from({ length: 480 }, (_, i) => hr(i, i < 180 ? 52 + (i % 3) : Math.min(190, 90 + (i - 180) / 3), `zoe-${i}`));
    await publish(w, 'zoe', { readings: readings.slice(0, 240) });
    await publish(w, 'zoe', { readings: readings.slice(240) });
    await waitFor(async () => (await store.observations.count({ userId: 'zoe' })) === 480, { what: 'zoe\'s readings' });
    let [day] = await store.history.daily({ userId: 'zoe', from: '2026-11-20', to: '2026-11-20' });
    expect(day?.current).toBe(false);
    await ingest.refresher.refresh();
    [day] = await store.history.daily({ userId: 'zoe', from: '2026-11-20', to: '2026-11-20' });
    const pts = readings.map((r) => ({ at: r.at, bpm: r.values.bpm }));
    const maxHr = maxHrFor({ id: 'zoe', name: 'Zoe', birthYear: 1996, maxHr: null, ftpWatts: null, timeZone: null }, '2026-11-20', 'tanaka')!;
    expect(maxHr).toBeCloseTo(208 - 0.7 * 30, 6);
    expect(day).toMatchObject({ current: true, hrCount: 480, maxHr: expect.closeTo(maxHr, 3) as number });
    expect(day?.restingHr).toBeCloseTo(restingHeartRate(pts)!, 1);
    expect(day?.zoneSeconds).toEqual(timeInZones(pts, maxHr).map((x) => Math.round(x)));
  });

  it('hands out a delta-sync cursor that returns only what is new', async () => {
    const w = await device('w-sync', 'syd');
    await publish(w, 'syd', { readings: [hr(1, 61, 'syd-1'), hr(2, 62, 'syd-2')] });
    await waitFor(async () => (await store.observations.count({ userId: 'syd' })) === 2, { what: 'first two' });
    // A sync page holds back rows above the oldest transaction still running anywhere on the
    // server (it may yet commit below them); other test files keep the shared server busy.
    const first = await waitFor(async () => {
      const r = await store.history.changes({ userId: 'syd', cursor: null, limit: 100 });
      return r.events.length >= 2 ? r : undefined;
    }, { what: 'the first two in a sync page' });
    expect(first.events.map((e) => e.id)).toEqual(['syd-1', 'syd-2']);
    const cursor = first.cursors[1]!;
    expect((await store.history.changes({ userId: 'syd', cursor, limit: 100 })).events).toEqual([]);
    await publish(w, 'syd', { readings: [hr(1, 61, 'syd-1'), hr(3, 63, 'syd-3')] }); // one resend, one new
    await waitFor(async () => (await store.observations.count({ userId: 'syd' })) === 3, { what: 'the third' });
    const next = await waitFor(async () => {
      const r = await store.history.changes({ userId: 'syd', cursor, limit: 100 });
      return r.events.length > 0 ? r : undefined;
    }, { what: 'the third in a sync page' });
    expect(next.events.map((e) => e.id)).toEqual(['syd-3']);
  });

  it('retention removes raw high-rate readings of old days and keeps their rollups', async () => {
    const events: CanonicalEvent[] = [0, 1, 2].map((i) => ({
      id: `old-${i}`, userId: 'ret', deviceId: 'w-ret', metric: 'heart_rate', time: { at: `2026-10-01T10:0${i}:00.000Z` },
      values: { bpm: { value: 70 + i, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: '2026-10-01T10:05:00.000Z' },
    }));
    events.push({ id: 'old-steps', userId: 'ret', deviceId: 'w-ret', metric: 'steps', time: { start: '2026-10-01T10:00:00.000Z', end: '2026-10-01T11:00:00.000Z' }, values: { count: { value: 900, unit: '{steps}' } }, source: { adapter: 'pulsehub.v1', receivedAt: '2026-10-01T11:00:00.000Z' } });
    await store.observations.commitBatch({ events, users: ['ret'] });
    const retention = startRetention({ store, refresher: ingest.refresher, logger: log, days: 30, now: () => Date.parse('2026-11-20T12:00:00Z'), intervalMs: 3_600_000 });
    await retention.run();
    await retention.close();
    expect(await store.observations.count({ userId: 'ret', metric: 'heart_rate' })).toBe(0);
    expect(await store.observations.count({ userId: 'ret', metric: 'steps' })).toBe(1);
    const [day] = await store.history.daily({ userId: 'ret', from: '2026-10-01', to: '2026-10-01' });
    expect(day).toMatchObject({ steps: 900, hrCount: 3, hrMin: 70, hrMax: 72, current: true });
    expect(await store.observations.count({ userId: 'zoe' })).toBe(480); // recent days untouched
  });
});
