import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Sql } from 'postgres';
import { toStorableText } from '@pulsehub/contracts';
import { queryRows, type Db } from './db.js';
import { deadLetters } from './schema.js';

export interface DeadLetterInput {
  topic: string;
  deviceId: string | null;
  userId: string | null;
  reason: string;
  detail: string;
  payload: Buffer;
  receivedAt?: Date;
}

export interface DeadLetter extends Required<DeadLetterInput> {
  id: number;
  replayedAt: Date | null;
}

/** Messages ingest could not store, kept raw with a reason code (and replayed after a fix). */
export interface DeadLetterRepo {
  insert(rows: readonly DeadLetterInput[]): Promise<void>;
  /** Newest first. */
  list(options?: { limit?: number; reason?: string; id?: number; pending?: boolean }): Promise<DeadLetter[]>;
  /** Marks dead letters replayed (their payload was stored after an adapter fix). */
  markReplayed(ids: readonly number[]): Promise<void>;
}

/**
 * A dead letter as a row the database cannot refuse: the payload is raw bytes (`bytea`), and
 * the text fields, which may carry what a device sent (topic, ids, the reason's detail), have
 * NULs and lone surrogates replaced. Storing a dead letter must never fail on its content.
 */
export function deadLetterRow(r: DeadLetterInput) {
  // Cut first, then made storable: a cut through a surrogate pair leaves a lone half, replaced too.
  const text = (s: string, max: number) => toStorableText(s.slice(0, max));
  const opt = (s: string | null) => (s === null ? null : text(s, 256));
  return {
    topic: text(r.topic, 1024),
    deviceId: opt(r.deviceId),
    userId: opt(r.userId),
    reason: text(r.reason, 64),
    detail: text(r.detail, 4000),
    payload: r.payload,
    receivedAt: r.receivedAt && !Number.isNaN(r.receivedAt.getTime()) ? r.receivedAt : new Date(),
  };
}

/**
 * Dead letters in one statement with one JSON parameter, like a batch's readings (the payload
 * as base64). Built by drizzle row by row, 1,800 dead letters cost ~1.5 ms of query building
 * per 100 rows on the hub's loop — a quarter of its busy time in `b2` with the intake, where
 * every message is one.
 */
function insertDeadLettersText(param: string): string {
  return `insert into dead_letters (topic, device_id, user_id, reason, detail, payload, received_at)
    select topic, device_id, user_id, reason, detail, decode(payload, 'base64'), received_at
    from json_to_recordset(${param}::json) as d(topic text, device_id text, user_id text, reason text, detail text, payload text, received_at timestamptz)`;
}
const [HEAD, TAIL] = insertDeadLettersText('\u0000').split('\u0000') as [string, string];
const PREPARED = insertDeadLettersText('$1');

/**
 * Stores dead letters (their text made storable, see `deadLetterRow`). `client`: the postgres.js
 * client behind `db` when `db` is not in a transaction — the statement is then a named prepared
 * one; otherwise (PGlite, a transaction) it goes through drizzle with its one parameter.
 */
export async function insertDeadLetters(db: Db, rows: readonly DeadLetterInput[], client?: Sql): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(rows.map((input) => {
    const r = deadLetterRow(input);
    return { topic: r.topic, device_id: r.deviceId, user_id: r.userId, reason: r.reason, detail: r.detail, payload: r.payload.toString('base64'), received_at: r.receivedAt.toISOString() };
  }));
  if (client) await client.unsafe(PREPARED, [json], { prepare: true });
  else await queryRows(db, sql`${sql.raw(HEAD)}${json}${sql.raw(TAIL)}`);
}

export function createDeadLetterRepo(db: Db): DeadLetterRepo {
  return {
    insert: (rows) => insertDeadLetters(db, rows),
    async list(options = {}) {
      return db
        .select()
        .from(deadLetters)
        .where(and(
          options.reason ? eq(deadLetters.reason, options.reason) : undefined,
          options.id !== undefined ? eq(deadLetters.id, options.id) : undefined,
          options.pending ? isNull(deadLetters.replayedAt) : undefined,
        ))
        .orderBy(desc(deadLetters.id))
        .limit(options.limit ?? 100);
    },
    async markReplayed(ids) {
      if (ids.length === 0) return;
      await db.update(deadLetters).set({ replayedAt: new Date() }).where(inArray(deadLetters.id, [...ids]));
    },
  };
}
