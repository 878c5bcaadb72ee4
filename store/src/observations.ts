import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { Sql } from 'postgres';
import type { CanonicalEvent, MetricId } from '@pulsehub/contracts';
import type { Db } from './db.js';
import { commitBatch, type CommitResult, type IngestBatch } from './batch.js';
import { createBatchCommitter } from './batch-copy.js';
import { toEvent } from './rows.js';
import { observations } from './schema.js';

/** Stored readings: the ingest batch write and the queries of the live side. */
export interface ObservationRepo {
  /** Inserts events, ignoring ids already stored (idempotent). Returns how many were new. */
  insert(events: readonly CanonicalEvent[]): Promise<number>;
  /** One transaction: new users, events (idempotent, daily rollups updated from the new ones), dead letters. */
  commitBatch(batch: IngestBatch): Promise<CommitResult>;
  /** Batches `commitBatch` stored with COPY (Postgres), and those that held a stored reading and took the idempotent path. */
  readonly commitStats: { readonly copied: number; readonly fellBack: number };
  /** The newest event of each metric for a user. */
  latest(userId: string): Promise<CanonicalEvent[]>;
  /** Sum of step counts whose reading ends at or after `since`. */
  stepsSince(userId: string, since: Date): Promise<number>;
  count(filter?: { userId?: string; metric?: MetricId }): Promise<number>;
}

/** `client`: the postgres.js client behind `db`, for the COPY path (absent on PGlite). */
export function createObservationRepo(db: Db, client?: Sql): ObservationRepo {
  const committer = createBatchCommitter(db, client);
  return {
    async insert(events) {
      return (await commitBatch(db, { events })).inserted;
    },
    commitBatch: (batch) => committer.commit(batch),
    commitStats: committer.stats,
    async latest(userId) {
      const rows = await db
        .selectDistinctOn([observations.metric])
        .from(observations)
        .where(eq(observations.userId, userId))
        .orderBy(observations.metric, desc(observations.timeEnd), desc(observations.receivedAt));
      return rows.map(toEvent);
    },
    async stepsSince(userId, since) {
      const [row] = await db
        .select({ total: sql<string | null>`sum((${observations.values}->'count'->>'value')::numeric)` })
        .from(observations)
        .where(and(eq(observations.userId, userId), eq(observations.metric, 'steps'), gte(observations.timeEnd, since)));
      return Number(row?.total ?? 0);
    },
    async count(filter = {}) {
      const conds = [];
      if (filter.userId) conds.push(eq(observations.userId, filter.userId));
      if (filter.metric) conds.push(eq(observations.metric, filter.metric));
      const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(observations).where(conds.length ? and(...conds) : undefined);
      return Number(row?.n ?? 0);
    },
  };
}
