import { and, desc, eq, sql } from 'drizzle-orm';
import { PulseHubError, eventInstant, type CanonicalEvent } from '@pulsehub/contracts';
import type { Db } from './db.js';
import { auditLog, observations } from './schema.js';
import { toEvent } from './rows.js';
import { recomputeLocalDays } from './local-rollups.js';
import type { Actor } from './goals.js';

/** The adapter id of entries people log by hand (ingest's `manual` adapter). */
export const MANUAL_ADAPTER = 'manual';

export interface ManualEntriesRepo {
  /** A user's manual entries, newest first; `after` continues a page. */
  list(q: { userId: string; metric?: string; limit: number; after?: { at: Date; id: string } }): Promise<CanonicalEvent[]>;
  /** Any stored reading of the user (manual or not), or undefined. */
  get(userId: string, id: string): Promise<CanonicalEvent | undefined>;
  /**
   * Replaces a manual entry's time, values, series and notes, keeping its id (and so its
   * place in sync cursors' eyes as the same reading); refuses a device reading
   * (`PH_WEB_NOT_MANUAL`). Writes an audit row of what changed and recomputes the local-day
   * rollups of the old and the new day, all in one transaction.
   */
  replace(next: CanonicalEvent, actor: Actor): Promise<{ before: CanonicalEvent; after: CanonicalEvent }>;
  /** Deletes a manual entry (a device reading is refused), with an audit row; false when there is none. */
  remove(userId: string, id: string, actor: Actor): Promise<CanonicalEvent | undefined>;
}

export function createManualEntriesRepo(db: Db): ManualEntriesRepo {
  const load = async (tx: Db, userId: string, id: string, lock: boolean) => {
    const q = tx.select().from(observations).where(and(eq(observations.userId, userId), eq(observations.id, id)));
    const [row] = lock ? await q.for('update') : await q;
    return row;
  };
  const mustBeManual = (row: typeof observations.$inferSelect | undefined, userId: string, id: string) => {
    if (!row) throw new PulseHubError('PH_STORE_NOT_FOUND', `no reading ${id} of ${userId}`);
    if (row.adapter !== MANUAL_ADAPTER) throw new PulseHubError('PH_WEB_NOT_MANUAL', `reading ${id} came from device ${row.deviceId} (${row.adapter}); only manual entries can be changed`);
    return row;
  };
  return {
    async list(q) {
      const conds = [eq(observations.userId, q.userId), eq(observations.adapter, MANUAL_ADAPTER)];
      if (q.metric) conds.push(eq(observations.metric, q.metric));
      if (q.after) conds.push(sql`(${observations.timeEnd}, ${observations.id}) < (${q.after.at.toISOString()}::timestamptz, ${q.after.id})`);
      const rows = await db.select().from(observations).where(and(...conds)).orderBy(desc(observations.timeEnd), desc(observations.id)).limit(q.limit);
      return rows.map(toEvent);
    },
    async get(userId, id) {
      const row = await load(db, userId, id, false);
      return row ? toEvent(row) : undefined;
    },
    async replace(next, actor) {
      return db.transaction(async (t) => {
        const tx = t as unknown as Db;
        const old = mustBeManual(await load(tx, next.userId, next.id, true), next.userId, next.id);
        if (old.metric !== next.metric) throw new PulseHubError('PH_WEB_BAD_REQUEST', `entry ${next.id} is a ${old.metric}; an edit cannot make it a ${next.metric}`);
        const [start, end] = 'at' in next.time ? [next.time.at, next.time.at] : [next.time.start, next.time.end];
        const [row] = await tx.update(observations).set({
          timeStart: new Date(start), timeEnd: new Date(end), values: next.values, series: next.series ?? null, notes: next.notes ?? null,
          receivedAt: new Date(next.source.receivedAt),
        }).where(and(eq(observations.userId, next.userId), eq(observations.id, next.id))).returning();
        const before = toEvent(old);
        const after = toEvent(row!);
        await tx.insert(auditLog).values({ actor: actor.subject, actorKind: actor.kind, action: 'manual.update', target: `${next.userId}/${next.id}`, details: { metric: old.metric, before: { time: before.time, values: before.values, notes: before.notes ?? null }, after: { time: after.time, values: after.values, notes: after.notes ?? null } } });
        await recomputeLocalDays(tx, [{ userId: next.userId, at: eventInstant(before.time) }, { userId: next.userId, at: eventInstant(after.time) }]);
        return { before, after };
      });
    },
    async remove(userId, id, actor) {
      return db.transaction(async (t) => {
        const tx = t as unknown as Db;
        const row = await load(tx, userId, id, true);
        if (!row) return undefined;
        mustBeManual(row, userId, id);
        await tx.delete(observations).where(and(eq(observations.userId, userId), eq(observations.id, id)));
        const gone = toEvent(row);
        await tx.insert(auditLog).values({ actor: actor.subject, actorKind: actor.kind, action: 'manual.delete', target: `${userId}/${id}`, details: { metric: gone.metric, time: gone.time, values: gone.values, notes: gone.notes ?? null } });
        await recomputeLocalDays(tx, [{ userId, at: eventInstant(gone.time) }]);
        return gone;
      });
    },
  };
}
