import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import type { CanonicalEvent } from '@pulsehub/contracts';
import type { Db } from './db.js';
import { toEvent } from './rows.js';
import { observations } from './schema.js';

export interface ExportRepo {
  /** The metrics a user has readings of in [from, to) (by reading end), sorted. */
  metrics(q: { userId: string; from: Date; to: Date }): Promise<string[]>;
  /**
   * One metric's readings in [from, to), oldest first, `pageSize` rows per page: keyset paging on
   * (time_end, id), so memory stays one page however many rows there are, and each page is a
   * short query (no cursor held open across a slow client).
   */
  pages(q: { userId: string; metric: string; from: Date; to: Date; pageSize?: number }): AsyncGenerator<CanonicalEvent[]>;
}

export function createExportRepo(db: Db): ExportRepo {
  return {
    async metrics(q) {
      const rows = await db.selectDistinct({ metric: observations.metric }).from(observations)
        .where(and(eq(observations.userId, q.userId), gte(observations.timeEnd, q.from), lt(observations.timeEnd, q.to)))
        .orderBy(asc(observations.metric));
      return rows.map((r) => r.metric);
    },
    async *pages(q) {
      const size = q.pageSize ?? 1000;
      let after: { at: Date; id: string } | undefined;
      for (;;) {
        const conds = [eq(observations.userId, q.userId), eq(observations.metric, q.metric), gte(observations.timeEnd, q.from), lt(observations.timeEnd, q.to)];
        if (after) conds.push(sql`(${observations.timeEnd}, ${observations.id}) > (${after.at.toISOString()}::timestamptz, ${after.id})`);
        const rows = await db.select().from(observations).where(and(...conds)).orderBy(asc(observations.timeEnd), asc(observations.id)).limit(size);
        if (rows.length === 0) return;
        const last = rows[rows.length - 1]!;
        after = { at: last.timeEnd, id: last.id };
        yield rows.map(toEvent);
        if (rows.length < size) return;
      }
    },
  };
}
