import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { createTestDatabase, openStore, type Store, type TestDatabase } from '@pulsehub/store';

const hr = (id: string, at: string, bpm: number): CanonicalEvent => ({
  id, userId: 'ana', deviceId: 'w1', metric: 'heart_rate', time: { at }, values: { bpm: { value: bpm, unit: '/min' } },
  series: { rr: { unit: 'ms', values: [810, 790] } }, source: { adapter: 'pulsehub.v1', receivedAt: at },
});

// One storage suite, two targets: the embedded default (PGlite) and the production database (Postgres).
describe.each(['postgres', 'pglite'] as const)('store on %s', (kind) => {
  let tdb: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    tdb = await createTestDatabase(kind);
    store = await openStore(tdb.target);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await tdb?.drop();
  });

  it('stores an event once however often it is inserted, and reads it back unchanged', async () => {
    await store.upsertUser({ id: 'ana', name: 'Ana' });
    const e = hr('e1', '2026-11-22T10:00:00.000Z', 71);
    expect(await store.insertObservations([e])).toBe(1);
    expect(await store.insertObservations([e, hr('e2', '2026-11-22T10:00:01.000Z', 72)])).toBe(1);
    expect(await store.countObservations({ userId: 'ana' })).toBe(2);
    const latest = await store.latestObservations('ana');
    expect(latest).toHaveLength(1);
    expect(latest[0]).toEqual(hr('e2', '2026-11-22T10:00:01.000Z', 72));
  });

  it('sums steps since a time and keeps intervals as intervals', async () => {
    const steps = (id: string, start: string, end: string, count: number): CanonicalEvent => ({
      id, userId: 'ana', deviceId: 'w1', metric: 'steps', time: { start, end }, values: { count: { value: count, unit: '{steps}' } },
      source: { adapter: 'pulsehub.v1', receivedAt: end },
    });
    await store.insertObservations([
      steps('s0', '2026-11-21T23:00:00.000Z', '2026-11-21T23:59:00.000Z', 500),
      steps('s1', '2026-11-22T08:00:00.000Z', '2026-11-22T09:00:00.000Z', 1200),
      steps('s2', '2026-11-22T09:00:00.000Z', '2026-11-22T10:00:00.000Z', 800),
    ]);
    expect(await store.stepsSince('ana', new Date('2026-11-22T00:00:00Z'))).toBe(2000);
    const latest = await store.latestObservations('ana');
    expect(latest.find((e) => e.metric === 'steps')?.time).toEqual({ start: '2026-11-22T09:00:00.000Z', end: '2026-11-22T10:00:00.000Z' });
  });

  it('keeps dead letters with their raw bytes', async () => {
    const raw = Buffer.from([0x7b, 0xff, 0x00]);
    await store.insertDeadLetters([{ topic: 'users/ana/events', deviceId: 'w1', userId: 'ana', reason: 'PH_INGEST_PAYLOAD_NOT_JSON', detail: 'x', payload: raw }]);
    const [dl] = await store.listDeadLetters();
    expect(dl?.reason).toBe('PH_INGEST_PAYLOAD_NOT_JSON');
    expect(Buffer.compare(dl!.payload, raw)).toBe(0);
  });

  it('grants and revokes consent, and revokes tokens', async () => {
    await store.grantConsent('ana', 'coach1');
    expect(await store.consentedAthletes('coach1')).toEqual(['ana']);
    expect(await store.revokeConsent('ana', 'coach1')).toBe(true);
    expect(await store.consentedAthletes('coach1')).toEqual([]);
    await store.recordToken({ jti: 'jti-12345678', subject: 'w1', kind: 'device' });
    expect(await store.revokeToken('jti-12345678')).toBe(true);
    expect(await store.revokedTokenIds()).toEqual(['jti-12345678']);
  });
});
