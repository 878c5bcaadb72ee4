import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import { toStorableText } from '@pulsehub/contracts';
import type { Db } from './db.js';
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

export function createDeadLetterRepo(db: Db): DeadLetterRepo {
  return {
    async insert(rows) {
      if (rows.length === 0) return;
      await db.insert(deadLetters).values(rows.map(deadLetterRow));
    },
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
