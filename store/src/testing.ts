import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQL } from 'drizzle-orm';
import { queryRows, type Db } from './db.js';
import { MIGRATIONS_FOLDER, type StoreTarget } from './open.js';
import { connectionOf, type Store } from './store.js';

// `@pulsehub/store/testing`: helpers for tests and benchmarks, never for a role's code.
export { MIGRATIONS_FOLDER, queryRows, type Db };
/** drizzle's `sql` tag, for `queryStore` in packages that do not depend on drizzle themselves. */
export { sql } from 'drizzle-orm';

/** The Postgres every test run uses (this machine's, trust auth); override with PULSEHUB_TEST_DATABASE_URL. */
export const TEST_ADMIN_URL = process.env.PULSEHUB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase extends AsyncDisposable {
  readonly target: StoreTarget;
  readonly url?: string;
  drop(): Promise<void>;
}

/**
 * A database of its own for one test file: test files run in parallel against one
 * Postgres server, so each gets a fresh database, dropped afterwards.
 */
export async function createTestDatabase(kind: 'postgres' | 'pglite' = 'postgres'): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-pglite-'));
    const drop = async () => rmSync(dataDir, { recursive: true, force: true });
    return { target: { kind: 'pglite', dataDir }, drop, [Symbol.asyncDispose]: drop };
  }
  const { default: postgres } = await import('postgres');
  const name = `ph_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(TEST_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const u = new URL(TEST_ADMIN_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  const drop = async () => {
    const a = postgres(TEST_ADMIN_URL, { max: 1, onnotice: () => {} });
    await a.unsafe(`drop database if exists ${name} with (force)`);
    await a.end();
  };
  return { target: { kind: 'postgres', url }, url, drop, [Symbol.asyncDispose]: drop };
}

/** The raw connection of a store opened with `openStore` (for SQL a test checks directly). */
export function dbOf(store: Store): Db {
  const db = connectionOf(store);
  if (!db) throw new Error('dbOf: not a store opened with openStore (a spread copy has no connection)');
  return db;
}

/** Raw SQL against a store's database; rows the same on Postgres and PGlite. */
export function queryStore<T>(store: Store, query: SQL): Promise<T[]> {
  return queryRows<T>(dbOf(store), query);
}
