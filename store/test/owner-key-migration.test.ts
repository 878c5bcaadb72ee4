import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { openStore } from '@pulsehub/store';
import { createTestDatabase, MIGRATIONS_FOLDER, queryStore, type Db, type TestDatabase } from '@pulsehub/store/testing';

/** The migrations as they were before 0007 (event ids scoped to their user): the journal cut after 0006. */
function migrationsBefore0007(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pulsehub-migrations-'));
  cpSync(MIGRATIONS_FOLDER, dir, { recursive: true });
  const journalPath = join(dir, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  journal.entries = journal.entries.filter((e) => e.tag < '0007');
  writeFileSync(journalPath, JSON.stringify(journal));
  return dir;
}

async function migrateOld(tdb: TestDatabase, folder: string): Promise<() => Promise<void>> {
  if (tdb.target.kind === 'postgres') {
    const { default: postgres } = await import('postgres');
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    const client = postgres(tdb.target.url, { max: 1, onnotice: () => {} });
    const db = drizzle(client);
    await migrate(db, { migrationsFolder: folder });
    await insertOldRows(db as unknown as Db);
    return () => client.end();
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const client = await PGlite.create(join(tdb.target.dataDir, 'pglite'));
  const db = drizzle(client);
  await migrate(db, { migrationsFolder: folder });
  await insertOldRows(db as unknown as Db);
  return () => client.close();
}

async function insertOldRows(db: Db): Promise<void> {
  await db.execute(sql`insert into observations (id, user_id, device_id, metric, time_start, time_end, "values", adapter, received_at)
    values ('old-1', 'ana', 'w1', 'heart_rate', '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z', '{"bpm":{"value":70,"unit":"/min"}}', 'pulsehub.v1', now()),
           ('old-2', 'ben', 'w2', 'heart_rate', '2026-11-01T10:00:00Z', '2026-11-01T10:00:00Z', '{"bpm":{"value":60,"unit":"/min"}}', 'pulsehub.v1', now())`);
}

describe.each(['postgres', 'pglite'] as const)('migration 0007 (event ids scoped to their user) on %s', (kind) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('keeps the rows stored before it and makes (user_id, id) the key', async () => {
    const tdb = await createTestDatabase(kind);
    cleanup.push(() => tdb.drop());
    const folder = migrationsBefore0007();
    cleanup.push(() => rmSync(folder, { recursive: true, force: true }));
    const closeOld = await migrateOld(tdb, folder);
    await closeOld();

    const store = await openStore(tdb.target); // applies 0007
    cleanup.push(() => store.close());
    expect(await store.observations.count()).toBe(2);
    const [pk] = await queryStore<{ cols: string }>(store, sql`
      select string_agg(a.attname, ',' order by array_position(c.conkey, a.attnum)) as cols
      from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any(c.conkey)
      where c.conrelid = 'observations'::regclass and c.contype = 'p'`);
    expect(pk?.cols).toBe('user_id,id');
    // ben may now use ana's id.
    const { inserted } = await store.observations.commitBatch({ events: [{
      id: 'old-1', userId: 'ben', deviceId: 'w2', metric: 'heart_rate', time: { at: '2026-11-01T10:00:01Z' },
      values: { bpm: { value: 61, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: '2026-11-01T10:00:01Z' },
    }] });
    expect(inserted).toBe(1);
  }, 60_000);
});
