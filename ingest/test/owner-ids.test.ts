import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import pino from 'pino';
import { startIngestFixture, type IngestFixture } from './fixture.js';
import { waitFor } from '@pulsehub/testkit';
import { eventsTopic, type CanonicalEvent } from '@pulsehub/contracts';
import { type IngestService } from '@pulsehub/ingest';
import type { Store, SyncCursor } from '@pulsehub/store';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

const hr = (id: string, userId: string, i: number, bpm = 70): CanonicalEvent => ({
  id, userId, deviceId: `w-${userId}`, metric: 'heart_rate', time: { at: new Date(Date.UTC(2026, 10, 24, 6) + i * 1000).toISOString() },
  values: { bpm: { value: bpm, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: '2026-11-24T07:00:00.000Z' },
});

// Issue 11, defect 4: event ids come from devices, so idempotency is scoped to the user.
describe.each(['postgres', 'pglite'] as const)('event ids are scoped to their user on %s', (kind) => {
  let store: Store;
  let ingest: IngestService;

  let fixture: IngestFixture | undefined;
  beforeAll(async () => {
    fixture = await startIngestFixture(kind, `owner-${kind}`, log);
    ({ store, ingest } = fixture);
  }, 60_000);
  afterAll(() => fixture?.close());

  const device = (deviceId: string, userId: string): Promise<MqttClient> => fixture!.device(deviceId, userId);

  it("ana's device claiming ben's event id does not drop ben's reading: both are stored", async () => {
    const ana = await device('watch-a', 'ana');
    const ben = await device('watch-b', 'ben');
    await ana.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 'watch-b-000100', metric: 'heart_rate', at: '2026-11-24T10:00:00Z', values: { bpm: 90 } }), { qos: 1 });
    await waitFor(async () => (await store.observations.count({ userId: 'ana' })) === 1, { what: "ana's reading" });
    await ben.publishAsync(eventsTopic('ben'), JSON.stringify({ id: 'watch-b-000100', metric: 'heart_rate', at: '2026-11-24T10:00:01Z', values: { bpm: 61 } }), { qos: 1 });
    await waitFor(async () => (await store.observations.count({ userId: 'ben' })) === 1, { what: "ben's reading" });
    expect((await store.observations.latest('ben'))[0]).toMatchObject({ id: 'watch-b-000100', deviceId: 'watch-b', values: { bpm: { value: 61 } } });
    expect((await store.observations.latest('ana'))[0]).toMatchObject({ id: 'watch-b-000100', deviceId: 'watch-a', values: { bpm: { value: 90 } } });
    expect(await store.deadLetters.list()).toEqual([]);
    expect(ingest.stats.conflicts).toBe(0);
  });

  it('counts (and keeps the first of) a redelivery under a stored id with another value; a plain redelivery is a duplicate, not a conflict', async () => {
    const ben = await device('watch-b2', 'ben');
    const body = { id: 'ben-r1', metric: 'heart_rate', at: '2026-11-24T11:00:00Z', values: { bpm: 62 } };
    await ben.publishAsync(eventsTopic('ben'), JSON.stringify(body), { qos: 1 });
    await waitFor(async () => (await store.observations.count({ userId: 'ben' })) === 2, { what: 'the first' });
    await ben.publishAsync(eventsTopic('ben'), JSON.stringify(body), { qos: 1 });
    await ben.publishAsync(eventsTopic('ben'), JSON.stringify({ ...body, values: { bpm: 150 } }), { qos: 1 });
    await waitFor(() => ingest.stats.conflicts === 1 && ingest.stats.duplicates >= 2, { what: 'the conflict' });
    const stored = await store.history.range({ userId: 'ben', metric: 'heart_rate', from: new Date('2026-11-24T11:00:00Z'), to: new Date('2026-11-24T11:00:01Z'), limit: 10 });
    expect(stored.map((e) => e.values.bpm?.value)).toEqual([62]);
  });

  it('the COPY path and its fallback store both users\' readings under shared ids, and delta sync pages each user completely', async () => {
    // ≥ 200 readings per batch: the COPY path on Postgres (PGlite takes the one-statement path).
    const ids = Array.from({ length: 250 }, (_, i) => `shared-${String(i).padStart(4, '0')}`);
    await store.users.ensure(['cara', 'dan']);
    const r1 = await store.observations.commitBatch({ events: ids.map((id, i) => hr(id, 'cara', i)) });
    const r2 = await store.observations.commitBatch({ events: ids.map((id, i) => hr(id, 'dan', i, 80)) });
    expect([r1.inserted, r2.inserted]).toEqual([250, 250]);
    // A batch holding a stored reading falls back to INSERT … ON CONFLICT: only the new one is stored.
    const r3 = await store.observations.commitBatch({ events: [...ids.slice(0, 220).map((id, i) => hr(id, 'dan', i, 80)), hr('dan-new', 'dan', 999, 80)] });
    expect(r3.inserted).toBe(1);
    if (kind === 'postgres') expect(store.observations.commitStats).toMatchObject({ copied: 2, fellBack: 1 });
    for (const user of ['cara', 'dan']) {
      const seen: string[] = [];
      let cursor: SyncCursor | null = null;
      for (let page = 0; page < 400; page++) {
        const { events, cursors } = await store.history.changes({ userId: user, cursor, limit: 7 });
        if (events.length === 0) break;
        expect(events.every((e) => e.userId === user)).toBe(true);
        seen.push(...events.map((e) => e.id));
        cursor = cursors.at(-1)!;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBe(user === 'dan' ? 251 : 250);
    }
  });
});
