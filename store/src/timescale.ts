import { sql } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';

export type StorageLayout = 'timescale' | 'plain';

/**
 * Decided at migrate time: when the TimescaleDB extension is installed on the server,
 * `observations` becomes a hypertable partitioned by `time_end` (1-day chunks); otherwise it
 * stays a plain table (PGlite, stock Postgres). The drizzle migrations are the same either way.
 *
 * A hypertable's unique indexes must contain its partitioning column, so there the
 * idempotency key becomes (user_id, id, time_end): a redelivered event has all three unchanged,
 * which is what matters; `ON CONFLICT DO NOTHING` (no target) serves both layouts.
 */
export async function setupStorageLayout(db: Db, log: (msg: string) => void = () => {}): Promise<StorageLayout> {
  const [avail] = await queryRows<{ available: boolean }>(db, sql`select exists (select 1 from pg_available_extensions where name = 'timescaledb') as available`);
  if (!avail?.available) return 'plain';
  try {
    await db.execute(sql`create extension if not exists timescaledb`);
  } catch (err) {
    // Installed but not in shared_preload_libraries, or no privilege: stay plain and say why.
    log(`TimescaleDB is installed but cannot be enabled (${(err as Error).message}); observations stay a plain table`);
    return 'plain';
  }
  const [ht] = await queryRows<{ is: boolean }>(db, sql`select exists (select 1 from timescaledb_information.hypertables where hypertable_name = 'observations') as is`);
  await db.transaction(async (tx) => {
    await tx.execute(sql`alter table observations drop constraint if exists observations_pkey`);
    await tx.execute(sql`alter table observations drop constraint if exists observations_user_id_id_pk`);
    await tx.execute(sql`create unique index if not exists observations_user_id_time_uq on observations (user_id, id, time_end)`);
    // The key before ids were scoped to their user (kept until now by migration 0005).
    await tx.execute(sql`drop index if exists observations_id_time_uq`);
    if (!ht?.is) await tx.execute(sql`select create_hypertable('observations', 'time_end', chunk_time_interval => interval '1 day', migrate_data => true)`);
  });
  return 'timescale';
}
