import { and, desc, eq, gte, inArray, isNull, sql } from 'drizzle-orm';
import type { CanonicalEvent } from '@pulsehub/contracts';
import type { Db } from './db.js';
import { observations, pendingReadings } from './schema.js';

/** One past weigh-in of a user: weight and/or impedance measured at one instant. */
export interface StoredWeighIn {
  userId: string;
  at: Date;
  kg?: number;
  impedanceOhm?: number;
}

export interface PendingReadingInput {
  id: string;
  scaleId: string;
  publisherId: string;
  measuredAt: Date;
  kg: number | null;
  impedanceOhm: number | null;
  reason: string;
  candidates: readonly string[];
  events: readonly CanonicalEvent[];
  scores?: unknown;
}

export interface PendingReading extends Omit<PendingReadingInput, 'candidates' | 'events'> {
  candidates: string[];
  events: CanonicalEvent[];
  receivedAt: Date;
  resolution: 'assigned' | 'discarded' | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  assignedTo: string | null;
}

/**
 * Shared scales: the bound users' recent weigh-ins (what attribution compares a new one
 * with) and the weigh-ins waiting for a person to say whose they are.
 */
export interface SharedScaleRepo {
  /** Weight and impedance readings of these users since `since`, one entry per user and instant. */
  recentWeighIns(userIds: readonly string[], since: Date): Promise<StoredWeighIn[]>;
  /** Keeps a pending reading; a redelivered one (same id) is ignored. */
  addPending(row: PendingReadingInput): Promise<void>;
  /** Open pending readings, newest first; with `userId`, those that user may assign. */
  listPending(filter?: { userId?: string; limit?: number }): Promise<PendingReading[]>;
  getPending(id: string): Promise<PendingReading | undefined>;
  /** Closes an open pending reading; false when it was already resolved (or does not exist). */
  resolvePending(id: string, r: { resolution: 'assigned' | 'discarded'; by: string; assignedTo?: string }): Promise<boolean>;
  /** Opens a reading again (its assignment could not be stored). */
  reopenPending(id: string): Promise<void>;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function createSharedScaleRepo(db: Db): SharedScaleRepo {
  const toPending = (r: typeof pendingReadings.$inferSelect): PendingReading => ({
    ...r,
    candidates: r.candidates,
    events: r.events as CanonicalEvent[],
    resolution: r.resolution as PendingReading['resolution'],
  });
  return {
    async recentWeighIns(userIds, since) {
      if (userIds.length === 0) return [];
      const rows = await db
        .select({ userId: observations.userId, at: observations.timeEnd, metric: observations.metric, values: observations.values })
        .from(observations)
        .where(and(inArray(observations.userId, [...userIds]), inArray(observations.metric, ['body_weight', 'body_composition']), gte(observations.timeEnd, since)))
        .orderBy(observations.timeEnd)
        .limit(5000);
      // a body-composition scale sends weight and impedance as two events of one instant: merge them
      const merged = new Map<string, StoredWeighIn>();
      for (const r of rows) {
        const key = `${r.userId}|${r.at.getTime()}`;
        const w = merged.get(key) ?? { userId: r.userId, at: r.at };
        const values = r.values as Record<string, { value?: unknown } | undefined>;
        const kg = r.metric === 'body_weight' ? num(values.kg?.value) : undefined;
        const z = r.metric === 'body_composition' ? num(values.impedance?.value) : undefined;
        if (kg !== undefined) w.kg = kg;
        if (z !== undefined) w.impedanceOhm = z;
        merged.set(key, w);
      }
      return [...merged.values()];
    },
    async addPending(row) {
      await db.insert(pendingReadings).values({ ...row, candidates: [...row.candidates], events: [...row.events], scores: row.scores ?? null }).onConflictDoNothing({ target: pendingReadings.id });
    },
    async listPending(filter = {}) {
      const rows = await db
        .select()
        .from(pendingReadings)
        .where(and(isNull(pendingReadings.resolution), filter.userId === undefined ? undefined : sql`${pendingReadings.candidates} ? ${filter.userId}`))
        .orderBy(desc(pendingReadings.receivedAt))
        .limit(filter.limit ?? 200);
      return rows.map(toPending);
    },
    async getPending(id) {
      const [row] = await db.select().from(pendingReadings).where(eq(pendingReadings.id, id));
      return row && toPending(row);
    },
    async resolvePending(id, r) {
      const rows = await db
        .update(pendingReadings)
        .set({ resolution: r.resolution, resolvedAt: new Date(), resolvedBy: r.by, assignedTo: r.assignedTo ?? null })
        .where(and(eq(pendingReadings.id, id), isNull(pendingReadings.resolution)))
        .returning({ id: pendingReadings.id });
      return rows.length > 0;
    },
    async reopenPending(id) {
      await db.update(pendingReadings).set({ resolution: null, resolvedAt: null, resolvedBy: null, assignedTo: null }).where(eq(pendingReadings.id, id));
    },
  };
}
