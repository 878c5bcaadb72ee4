/**
 * Which failed commits are the data's fault. A statement refused for what a reading holds
 * fails the same way however often it is retried, so the writer splits the batch and keeps
 * that reading as a dead letter; anything else (the database is down, a connection dropped,
 * a deadlock, a serialization failure, the server out of resources) is retried as before.
 *
 * SQLSTATE classes (Postgres appendix A), the same on Postgres and PGlite:
 * 21 cardinality violation, 22 data exception (bad timestamp, NUL in text, bad UTF-8),
 * 23 integrity constraint violation, 42 syntax error or access rule violation (e.g. a datatype
 * mismatch), 54 program limit exceeded (e.g. an index row too large).
 */
const DATA_CLASSES = new Set(['21', '22', '23', '42', '54']);

/** The driver error under drizzle's wrapper (`DrizzleQueryError` keeps it as `cause`). */
export function driverError(err: unknown): unknown {
  let e = err;
  for (let i = 0; i < 5 && e instanceof Error && (e as { code?: unknown }).code === undefined && e.cause !== undefined; i++) e = e.cause;
  return e;
}

/** The SQLSTATE of a driver error (postgres.js and PGlite both put it on `code`), or undefined. */
export function sqlState(err: unknown): string | undefined {
  const code = (driverError(err) as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** True when the database refused the data itself (retrying cannot help). */
export function isDataError(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && DATA_CLASSES.has(state.slice(0, 2));
}

/** `22008 date/time field value out of range: "0000-01-01…"`: what a dead letter keeps of the database's error (no payload). */
export function describeDbError(err: unknown): string {
  const e = driverError(err);
  return `${sqlState(e) ?? 'error'} ${(e as Error)?.message ?? String(e)}`.slice(0, 1000);
}

/**
 * What a log line above `debug` may say about a database error: its code, never its message
 * (drizzle's message carries the statement's parameters, i.e. the readings themselves).
 */
export function errorFacts(err: unknown): { code: string | null; error: string } {
  const e = driverError(err);
  const code = sqlState(e) ?? (e as { code?: unknown } | null)?.code;
  return { code: typeof code === 'string' ? code.slice(0, 40) : null, error: (e as Error)?.name ?? typeof e };
}
