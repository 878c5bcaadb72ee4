import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type DeadLetterInput, type Store } from '@pulsehub/store';
import { sql } from 'drizzle-orm';
import { createTestDatabase, dbOf, queryStore, type TestDatabase } from '@pulsehub/store/testing';

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
    await store.users.upsert({ id: 'ana', name: 'Ana' });
    const e = hr('e1', '2026-11-22T10:00:00.000Z', 71);
    expect(await store.observations.insert([e])).toBe(1);
    expect(await store.observations.insert([e, hr('e2', '2026-11-22T10:00:01.000Z', 72)])).toBe(1);
    expect(await store.observations.count({ userId: 'ana' })).toBe(2);
    const latest = await store.observations.latest('ana');
    expect(latest).toHaveLength(1);
    expect(latest[0]).toEqual(hr('e2', '2026-11-22T10:00:01.000Z', 72));
  });

  it('sums steps since a time and keeps intervals as intervals', async () => {
    const steps = (id: string, start: string, end: string, count: number): CanonicalEvent => ({
      id, userId: 'ana', deviceId: 'w1', metric: 'steps', time: { start, end }, values: { count: { value: count, unit: '{steps}' } },
      source: { adapter: 'pulsehub.v1', receivedAt: end },
    });
    await store.observations.insert([
      steps('s0', '2026-11-21T23:00:00.000Z', '2026-11-21T23:59:00.000Z', 500),
      steps('s1', '2026-11-22T08:00:00.000Z', '2026-11-22T09:00:00.000Z', 1200),
      steps('s2', '2026-11-22T09:00:00.000Z', '2026-11-22T10:00:00.000Z', 800),
    ]);
    expect(await store.observations.stepsSince('ana', new Date('2026-11-22T00:00:00Z'))).toBe(2000);
    const latest = await store.observations.latest('ana');
    expect(latest.find((e) => e.metric === 'steps')?.time).toEqual({ start: '2026-11-22T09:00:00.000Z', end: '2026-11-22T10:00:00.000Z' });
  });

  it('keeps dead letters with their raw bytes', async () => {
    const raw = Buffer.from([0x7b, 0xff, 0x00]);
    await store.deadLetters.insert([{ topic: 'users/ana/events', deviceId: 'w1', userId: 'ana', reason: 'PH_INGEST_PAYLOAD_NOT_JSON', detail: 'x', payload: raw }]);
    const [dl] = await store.deadLetters.list();
    expect(dl?.reason).toBe('PH_INGEST_PAYLOAD_NOT_JSON');
    expect(Buffer.compare(dl!.payload, raw)).toBe(0);
  });

  it('a batch keeps its dead letters byte for byte, alone or beside readings, whatever their text holds', async () => {
    const payloads = [Buffer.from([0x7b, 0xff, 0x00, 0x80]), Buffer.alloc(0), Buffer.from('{"bpm": 70}')];
    // 1,023 characters then a surrogate pair: the 1,024-character cut leaves its high half alone.
    const topic = `users/ana/events/${'t'.repeat(1006)}\u{1F600}`;
    const letter = (i: number, extra: Partial<DeadLetterInput> = {}): DeadLetterInput => ({
      topic: 'users/ana/events', deviceId: 'w-dl', userId: 'ana', reason: `PH_TEST_DL_${i}`, detail: `bad\u0000 \uD800 "quoted" ✓ ${i}`,
      payload: payloads[i % payloads.length]!, receivedAt: new Date(Date.UTC(2026, 10, 25, 1, 0, i)), ...extra,
    });
    const alone = [letter(0), letter(1, { topic, deviceId: null, userId: null }), letter(2)];
    expect(await store.observations.commitBatch({ events: [], deadLetters: alone })).toEqual({ inserted: 0 });
    const withReading = letter(3);
    expect((await store.observations.commitBatch({ events: [hr('dl-e1', '2026-11-25T01:00:00.000Z', 64)], deadLetters: [withReading] })).inserted).toBe(1);
    const rows = (await store.deadLetters.list()).filter((d) => d.reason.startsWith('PH_TEST_DL_')).sort((a, b) => a.reason.localeCompare(b.reason));
    expect(rows.map((d) => d.reason)).toEqual(['PH_TEST_DL_0', 'PH_TEST_DL_1', 'PH_TEST_DL_2', 'PH_TEST_DL_3']);
    rows.forEach((d, i) => {
      expect(Buffer.compare(d.payload, payloads[i % payloads.length]!), `payload of ${d.reason}`).toBe(0);
      expect(d.detail).toBe(`bad\uFFFD \uFFFD "quoted" ✓ ${i}`);
      expect(d.receivedAt.toISOString()).toBe(new Date(Date.UTC(2026, 10, 25, 1, 0, i)).toISOString());
    });
    expect(rows[1]!.topic).toBe(`${topic.slice(0, 1023)}\uFFFD`);
    expect([rows[1]!.deviceId, rows[1]!.userId]).toEqual([null, null]);
    expect(rows[0]!.deviceId).toBe('w-dl');
  });

  it('grants and revokes consent, and revokes tokens', async () => {
    await store.consents.grant('ana', 'coach1');
    expect(await store.consents.athletesFor('coach1')).toEqual(['ana']);
    expect(await store.consents.revoke('ana', 'coach1')).toBe(true);
    expect(await store.consents.athletesFor('coach1')).toEqual([]);
    await store.tokens.record({ jti: 'jti-12345678', subject: 'w1', kind: 'device' });
    expect(await store.tokens.revoke('jti-12345678')).toBe(true);
    expect(await store.tokens.revokedIds()).toEqual(['jti-12345678']);
  });

  it('reads a device in one shape: a personal device with its owner, a gateway with its bound users; revoking it revokes its tokens', async () => {
    await store.users.ensure(['ana', 'ben']);
    expect(await store.devices.upsert({ id: 'w9', userId: 'ana', kind: 'watch', allowedAdapters: ['withings.v1'] })).toBe(true);
    expect(await store.devices.upsert({ id: 'gw9', userId: null, kind: 'gateway', adapter: 'ble.v1' })).toBe(true);
    await store.devices.bindGateway('gw9', ['ben', 'ana']);
    expect(await store.devices.get('w9')).toMatchObject({ id: 'w9', userId: 'ana', adapter: 'pulsehub.v1', allowedAdapters: ['withings.v1'], users: ['ana'], revokedAt: null, battery: null });
    expect(await store.devices.get('gw9')).toMatchObject({ kind: 'gateway', users: ['ana', 'ben'] });
    expect((await store.devices.list()).map((d) => d.id)).toEqual(expect.arrayContaining(['gw9', 'w9']));
    // another owner cannot take the id over
    expect(await store.devices.upsert({ id: 'w9', userId: 'ben', kind: 'watch' })).toBe(false);
    await store.tokens.record({ jti: 'jti-w9-0001', subject: 'w9', kind: 'device' });
    expect(await store.devices.revoke('w9')).toEqual(['jti-w9-0001']);
    expect((await store.devices.get('w9'))?.revokedAt).toBeInstanceOf(Date);
    expect(await store.devices.restore('w9')).toBe(true);
  });

  it('keeps the raw connection off the facade: tests reach SQL through @pulsehub/store/testing', async () => {
    expect('db' in store).toBe(false);
    await store.audit.record({ actor: 'admin', actorKind: 'admin', action: 'user.ftp', target: 'ana', details: { watts: 250 } });
    const [row] = await queryStore<{ n: number | string }>(store, sql`select count(*)::int as n from audit_log where target = 'ana'`);
    expect(Number(row?.n)).toBe(1);
    expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ action: 'user.ftp', details: { watts: 250 } });
    expect(() => dbOf({ ...store })).toThrow(/not a store opened with openStore/);
  });
});
