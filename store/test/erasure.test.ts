import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { ERASURE_COVERAGE, openStore, PERSON_COLUMN, type Store } from '@pulsehub/store';
import { createTestDatabase, dbOf, queryStore, type TestDatabase } from '@pulsehub/store/testing';

const hr = (user: string, id: string, at: string, bpm: number): CanonicalEvent => ({
  id, userId: user, deviceId: `w-${user}`, metric: 'heart_rate', time: { at }, values: { bpm: { value: bpm, unit: '/min' } },
  source: { adapter: 'pulsehub.v1', receivedAt: at },
});

/** Rows of every table of the schema whose text names `id` as a whole word. */
async function rowsNaming(store: Store, id: string): Promise<Record<string, number>> {
  const tables = await queryStore<{ t: string }>(store, sql`select table_name as t from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`);
  const word = `(^|[^A-Za-z0-9_.-])${id}($|[^A-Za-z0-9_.-])`;
  const out: Record<string, number> = {};
  for (const { t } of tables) {
    const [row] = await queryStore<{ n: number | string }>(store, sql`select count(*)::int as n from ${sql.identifier(t)} x where x::text ~ ${word}`);
    const n = Number(row?.n ?? 0);
    if (n > 0) out[t] = n;
  }
  return out;
}

// Erasure on both storage targets: every row of the person goes, in one transaction, and the
// schema itself is checked so a table added later with a person column fails here until covered.
describe.each(['postgres', 'pglite'] as const)('erasure on %s', (kind) => {
  let tdb: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    tdb = await createTestDatabase(kind);
    store = await openStore(tdb.target);
    for (const u of ['ana', 'ben']) {
      await store.users.upsert({ id: u, name: u.toUpperCase() });
      await store.devices.upsert({ id: `w-${u}`, userId: u, kind: 'watch' });
      await store.tokens.record({ jti: `jti-${u}`, subject: u, kind: 'athlete' });
      await store.tokens.record({ jti: `jti-w-${u}`, subject: `w-${u}`, kind: 'device' });
      await store.observations.commitBatch({ events: [hr(u, `${u}1`, '2026-11-20T08:00:00.000Z', 70), hr(u, `${u}2`, '2026-11-20T08:00:01.000Z', 71)] });
    }
    await store.devices.upsert({ id: 'gw1', userId: null, kind: 'gateway' });
    await dbOf(store).execute(sql`insert into gateway_users (gateway_id, user_id) values ('gw1', 'ana'), ('gw1', 'ben')`);
    await store.consents.grant('ana', 'ben');
    await store.consents.grant('ben', 'ana');
    await store.deadLetters.insert([
      { topic: 'users/ana/events', deviceId: 'w-ana', userId: 'ana', reason: 'PH_INGEST_SCHEMA_INVALID', detail: 'x', payload: Buffer.from('{}') },
      { topic: 'users/ben/events', deviceId: 'w-ben', userId: 'ben', reason: 'PH_INGEST_SCHEMA_INVALID', detail: 'x', payload: Buffer.from('{}') },
    ]);
    await dbOf(store).execute(sql`insert into class_sessions (id, coach_id, name, athletes, zone_floors) values
      ('s-ana', 'ana', 'Ana coaches', '["ben"]', '[0.5]'), ('s-ben', 'ben', 'Ben coaches', '["ana","ben"]', '[0.5]')`);
    await dbOf(store).execute(sql`insert into class_session_summaries (session_id, athlete_id, name, seconds_in_zones, kcal, effort_points, readings) values
      ('s-ana', 'ben', 'Ben', '[0]', 1, 1, 1), ('s-ben', 'ana', 'Ana', '[0]', 1, 1, 1), ('s-ben', 'ben', 'Ben', '[0]', 1, 1, 1)`);
    await dbOf(store).execute(sql`insert into pending_readings (id, scale_id, publisher_id, measured_at, reason, candidates, events) values
      ('p1', 'scale', 'gw1', now(), 'ambiguous', '["ana","ben"]', '[]'), ('p2', 'scale', 'gw1', now(), 'unknown', '["ana"]', '[]'), ('p3', 'scale', 'gw1', now(), 'unknown', '["ben"]', '[]')`);
    await dbOf(store).execute(sql`insert into audit_log (actor, actor_kind, action, target, details) values
      ('root', 'admin', 'consent.grant', 'ana/ben', '{"athleteId":"ana","viewerId":"ben"}'), ('ana', 'athlete', 'user.ftp', 'ana', null), ('root', 'admin', 'user.upsert', 'ben', null)`);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await tdb?.drop();
  });

  it('covers every table of the schema that has a column naming a person', async () => {
    const cols = await queryStore<{ t: string; c: string }>(store, sql`select table_name as t, column_name as c from information_schema.columns
      where table_schema = 'public' order by 1, 2`);
    const uncovered: string[] = [];
    for (const { t, c } of cols) {
      if (!PERSON_COLUMN.test(c)) continue;
      if (!ERASURE_COVERAGE[t]?.columns.includes(c)) uncovered.push(`${t}.${c}`);
    }
    expect(uncovered, 'tables/columns holding a person that erasure (store/src/erasure.ts) does not cover').toEqual([]);
    // The pattern itself must catch the columns we know: otherwise the check above would pass vacuously.
    for (const c of ['user_id', 'athlete_id', 'viewer_id', 'coach_id', 'subject', 'publisher_id', 'candidates']) expect(PERSON_COLUMN.test(c)).toBe(true);
    const tables = new Set(cols.map((r) => r.t));
    for (const t of Object.keys(ERASURE_COVERAGE)) expect(tables.has(t), `${t} listed in ERASURE_COVERAGE exists`).toBe(true);
  });

  it('deletes every row of the person in one go, keeps others, revokes tokens and writes an audit row without health data', async () => {
    expect(Object.keys(await rowsNaming(store, 'ana')).length).toBeGreaterThan(8);
    const benBefore = await rowsNaming(store, 'ben');
    const result = await store.erasure.erase('ana', { subject: 'root', kind: 'admin' });
    expect(result?.revokedJtis.sort()).toEqual(['jti-ana', 'jti-w-ana']);
    expect(result?.deviceIds).toEqual(['w-ana']);
    // Nothing names ana any more, but the erasure's own audit row.
    expect(await rowsNaming(store, 'ana')).toEqual({ audit_log: 1 });
    const [audit] = await queryStore<{ action: string; details: unknown }>(store, sql`select action, details from audit_log where target = 'ana'`);
    expect(audit?.action).toBe('user.erase');
    expect(JSON.stringify(audit?.details)).not.toMatch(/bpm|heart|"value"/);
    // The revocations outlive the rows: a restart still refuses those tokens.
    expect((await store.tokens.revokedIds()).sort()).toEqual(['jti-ana', 'jti-w-ana']);
    // Ben keeps his data (his readings, his session, his pending reading); what named ana with him is gone.
    expect(await store.observations.count({ userId: 'ben' })).toBe(2);
    const benAfter = await rowsNaming(store, 'ben');
    expect(benAfter.observations).toBe(benBefore.observations);
    expect(benAfter.users).toBe(1);
    expect(benAfter.consents).toBeUndefined();
    const [sess] = await queryStore<{ athletes: string[] | string }>(store, sql`select athletes from class_sessions where id = 's-ben'`);
    expect(typeof sess?.athletes === 'string' ? JSON.parse(sess.athletes) : sess?.athletes).toEqual(['ben']);
    expect((await queryStore<{ id: string }>(store, sql`select id from pending_readings order by id`)).map((r) => r.id)).toEqual(['p1', 'p3']);
    expect(await store.erasure.erase('ana', { subject: 'root', kind: 'admin' })).toBeUndefined();
  });
});
