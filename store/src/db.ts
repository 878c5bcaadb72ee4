import type { SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type * as schema from './schema.js';

/**
 * The connection every repository is written against: drizzle over postgres.js or PGlite, with
 * our schema. A leaf module (it imports only the schema's types), so `open.ts`, the batch writer
 * and the repositories can all depend on it without a cycle.
 */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** postgres.js returns the rows array itself, PGlite `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** Runs raw SQL and returns its rows, the same on both drivers. */
export async function queryRows<T>(db: Db, query: SQL): Promise<T[]> {
  return rowsOf<T>(await db.execute(query));
}
