import type { Sql } from 'postgres';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { commitBatch, outboxInsert, rollupUpsert, type CommitResult, type IngestBatch } from './batch.js';
import type { Db } from './db.js';

/**
 * The Postgres fast path for a batch of readings: one transaction that `COPY`s the rows into
 * `observations` and adds their daily rollups (computed here from exactly those rows).
 *
 * COPY has no ON CONFLICT: a batch holding a reading that is already stored (a device
 * redelivering after a crash or a lost PUBACK) fails as a whole with a unique violation and is
 * then stored by the one-statement idempotent path (`commitBatch`), which skips the stored
 * ids. After such a batch the fast path rests for a while, since redeliveries come in runs.
 * So a reading is still stored once and counted once; the fast path only changes the cost:
 * COPY writes many rows per WAL record and needs no speculative insertion.
 */

/** Below this many readings one statement costs less than a transaction of three. */
const COPY_MIN_EVENTS = 200;
/** After a batch held a stored reading, this long on the idempotent path before COPY is tried again. */
const REST_AFTER_CONFLICT_MS = 5_000;
/**
 * unique_violation; in_failed_sql_transaction (the COPY failed, see below); deadlock_detected
 * (two batches redelivering the same readings in opposite orders). Any other failure of the
 * COPY also shows as 25P02: the idempotent path then reports the real error.
 */
const FALL_BACK_ON = new Set(['23505', '25P02', '40P01']);

const COLUMNS = 'id, user_id, device_id, metric, time_start, time_end, "values", series, notes, adapter, received_at';

/** COPY text format: backslash, tab, newline and carriage return escaped; NULL as \N. */
function field(v: string | null): string {
  if (v === null) return '\\N';
  return /[\\\t\n\r]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : v;
}

/**
 * The rows as COPY text, written straight into a Buffer: one flat string per row, no
 * batch-sized string on the JS heap (a 600 KB string per batch lands in V8's large-object
 * space and brings full garbage collections forward while readings wait for their commit).
 */
export function copyRows(events: readonly CanonicalEvent[]): Buffer {
  let buf = Buffer.allocUnsafe(Math.max(4096, events.length * 256));
  let at = 0;
  for (const e of events) {
    const [start, end] = 'at' in e.time ? [e.time.at, e.time.at] : [e.time.start, e.time.end];
    const row = `${field(e.id)}\t${field(e.userId)}\t${field(e.deviceId)}\t${field(e.metric)}\t${field(start)}\t${field(end)}\t${field(JSON.stringify(e.values))}\t${field(e.series ? JSON.stringify(e.series) : null)}\t${field(e.notes ? JSON.stringify(e.notes) : null)}\t${field(e.source.adapter)}\t${field(e.source.receivedAt)}\n`;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (at + row.length * 3 > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, at + row.length * 3));
      buf.copy(bigger, 0, 0, at);
      buf = bigger;
    }
    at += buf.write(row, at);
  }
  return buf.subarray(0, at);
}

/** The UTC date of an ISO 8601 instant; read off the string when it is already in UTC (the common case). */
function utcDay(iso: string): string {
  return iso.length >= 20 && iso.charCodeAt(iso.length - 1) === 90 /* Z */ && iso.charCodeAt(10) === 84 /* T */ ? iso.slice(0, 10) : new Date(iso).toISOString().slice(0, 10);
}

export interface DayRollup { user_id: string; day: string; steps: number; hr_n: number; hr_sum: number; hr_min: number | null; hr_max: number | null }

/**
 * What the batch adds to each user's day: the same sums the one-statement path computes in SQL
 * (a reading belongs to the UTC day of its start; steps add up; heart rate keeps n/sum/min/max).
 */
export function dayRollups(events: readonly CanonicalEvent[]): DayRollup[] {
  const days = new Map<string, DayRollup>();
  for (const e of events) {
    if (e.metric !== 'steps' && e.metric !== 'heart_rate') continue;
    const start = 'at' in e.time ? e.time.at : e.time.start;
    const day = utcDay(start);
    const key = `${e.userId}\u0000${day}`;
    let r = days.get(key);
    if (!r) days.set(key, (r = { user_id: e.userId, day, steps: 0, hr_n: 0, hr_sum: 0, hr_min: null, hr_max: null }));
    if (e.metric === 'steps') {
      const x = e.values.count?.value;
      if (typeof x === 'number') r.steps += x;
    } else {
      r.hr_n++;
      const x = e.values.bpm?.value;
      if (typeof x === 'number') {
        r.hr_sum += x;
        r.hr_min = r.hr_min === null ? x : Math.min(r.hr_min, x);
        r.hr_max = r.hr_max === null ? x : Math.max(r.hr_max, x);
      }
    }
  }
  return [...days.values()];
}

const UPSERT_ROLLUPS = rollupUpsert(
  'json_to_recordset($1::text::json) as r(user_id text, day date, steps float8, hr_n int, hr_sum float8, hr_min float8, hr_max float8)');

const INSERT_OUTBOX = outboxInsert('json_to_recordset($1::text::json) as x(user_id text, metric text)');

/** The distinct (user, metric) pairs of a batch: what the outbox statement matches subscriptions against. */
function userMetrics(events: readonly CanonicalEvent[]): string {
  const seen = new Set<string>();
  const out: { user_id: string; metric: string }[] = [];
  for (const e of events) {
    const key = `${e.userId}\u0000${e.metric}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ user_id: e.userId, metric: e.metric });
  }
  return JSON.stringify(out);
}

export interface BatchCommitter {
  commit(batch: IngestBatch): Promise<CommitResult>;
  /** How many batches took the COPY path, and how many fell back to the idempotent one. */
  readonly stats: { copied: number; fellBack: number };
}

/** `client` is the postgres.js client behind `db`; without one (PGlite) every batch takes the one-statement path. */
export function createBatchCommitter(db: Db, client?: Sql): BatchCommitter {
  const stats = { copied: 0, fellBack: 0 };
  let restUntil = 0;
  return {
    stats,
    async commit(batch) {
      const fast = client !== undefined && batch.events.length >= COPY_MIN_EVENTS
        && (batch.deadLetters?.length ?? 0) === 0 && (batch.users?.length ?? 0) === 0 && Date.now() >= restUntil;
      if (!fast) return commitBatch(db, batch, client);
      const rows = copyRows(batch.events);
      const rollups = dayRollups(batch.events);
      const pairs = userMetrics(batch.events);
      try {
        // BEGIN and COPY go out together, then the rollups and COMMIT together: two round trips
        // (client.begin would take five, each waiting behind a busy event loop).
        const conn = await client.reserve();
        try {
          const begun = conn.unsafe('begin');
          begun.catch(() => {});
          const stream = await conn.unsafe(`copy observations (${COLUMNS}) from stdin`).writable();
          // A COPY that fails while its rows are being sent destroys the stream…
          const failed = new Promise<never>((_, reject) => stream.once('error', reject));
          failed.catch(() => {});
          await new Promise<void>((resolve, reject) => stream.write(rows, (err) => (err ? reject(err) : resolve())));
          stream.end();
          // …one that fails at its end (a unique violation found by the last rows) is not reported
          // on the stream by postgres.js: the statement after it fails instead (25P02, transaction
          // aborted), and COMMIT then rolls back. postgres.js takes the next statement once the
          // stream has sent its CopyDone.
          await new Promise((resolve) => setImmediate(resolve));
          const upsert = Promise.race([failed, conn.unsafe(UPSERT_ROLLUPS, [JSON.stringify(rollups)])]);
          // The webhook outbox entries go in the same transaction and the same round trip.
          const outbox = conn.unsafe(INSERT_OUTBOX, [pairs]);
          const commit = conn.unsafe('commit');
          const [u, o, c] = await Promise.allSettled([upsert, outbox, commit, begun]);
          if (u.status === 'rejected') throw u.reason;
          if (o.status === 'rejected') throw o.reason;
          if (c.status === 'rejected') throw c.reason;
        } finally {
          conn.release();
        }
        stats.copied++;
        return { inserted: batch.events.length };
      } catch (err) {
        if (!FALL_BACK_ON.has((err as { code?: string }).code ?? '')) throw err;
        stats.fellBack++;
        restUntil = Date.now() + REST_AFTER_CONFLICT_MS;
        return commitBatch(db, batch, client);
      }
    },
  };
}
