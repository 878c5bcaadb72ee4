import { and, asc, desc, eq, gte, lte } from 'drizzle-orm';
import type { Db } from './db.js';
import { classSessions, classSessionSummaries, observations } from './schema.js';

export interface ClassSessionRow {
  id: string;
  coachId: string;
  name: string;
  athletes: string[];
  zoneFloors: number[];
  startedAt: Date;
  endedAt: Date | null;
  timer: ClassTimer | null;
}

/** The interval timer of a class (IntervalTimer in contracts). */
export interface ClassTimer { workSec: number; restSec: number; rounds: number; startedAt: string; stoppedAt: string | null }

export interface ClassSummaryRow {
  sessionId: string;
  athleteId: string;
  name: string;
  avgBpm: number | null;
  maxBpm: number | null;
  secondsInZones: number[];
  kcal: number;
  effortPoints: number;
  readings: number;
}

/** Class sessions and their stored summaries (the live class board). */
export interface ClassRepo {
  create(s: { id: string; coachId: string; name: string; athletes: string[]; zoneFloors: number[]; startedAt?: Date }): Promise<ClassSessionRow>;
  get(id: string): Promise<ClassSessionRow | undefined>;
  list(filter?: { coachId?: string; limit?: number }): Promise<ClassSessionRow[]>;
  /** Marks the session ended and stores one summary row per athlete, in one transaction. */
  end(id: string, endedAt: Date, summaries: readonly Omit<ClassSummaryRow, 'sessionId'>[]): Promise<void>;
  summaries(id: string): Promise<ClassSummaryRow[]>;
  /** Stores the session's interval timer (null clears it). */
  setTimer(id: string, timer: ClassTimer | null): Promise<void>;
  /** Heart-rate readings of a user in [from, to], oldest first. */
  heartRate(userId: string, from: Date, to: Date): Promise<{ at: number; bpm: number }[]>;
  /** The newest body weight (kg) of a user, if any. */
  latestWeightKg(userId: string): Promise<number | undefined>;
}

export function createClassRepo(db: Db): ClassRepo {
  return {
    async create(s) {
      const [row] = await db.insert(classSessions).values({ ...s, startedAt: s.startedAt ?? new Date() }).returning();
      return row!;
    },
    async get(id) {
      const [row] = await db.select().from(classSessions).where(eq(classSessions.id, id));
      return row;
    },
    async list(filter = {}) {
      return db.select().from(classSessions)
        .where(filter.coachId ? eq(classSessions.coachId, filter.coachId) : undefined)
        .orderBy(desc(classSessions.startedAt))
        .limit(filter.limit ?? 50);
    },
    async end(id, endedAt, summaries) {
      await db.transaction(async (tx) => {
        await tx.update(classSessions).set({ endedAt }).where(eq(classSessions.id, id));
        if (summaries.length > 0) {
          await tx.insert(classSessionSummaries).values(summaries.map((s) => ({ ...s, sessionId: id }))).onConflictDoNothing();
        }
      });
    },
    async setTimer(id, timer) {
      await db.update(classSessions).set({ timer }).where(eq(classSessions.id, id));
    },
    async summaries(id) {
      return db.select().from(classSessionSummaries).where(eq(classSessionSummaries.sessionId, id)).orderBy(asc(classSessionSummaries.name));
    },
    async heartRate(userId, from, to) {
      const rows = await db.select({ t: observations.timeEnd, values: observations.values }).from(observations)
        .where(and(eq(observations.userId, userId), eq(observations.metric, 'heart_rate'), gte(observations.timeEnd, from), lte(observations.timeEnd, to)))
        .orderBy(asc(observations.timeEnd));
      const out: { at: number; bpm: number }[] = [];
      for (const r of rows) {
        const bpm = (r.values as Record<string, { value: number } | undefined>).bpm?.value;
        if (typeof bpm === 'number') out.push({ at: r.t.getTime(), bpm });
      }
      return out;
    },
    async latestWeightKg(userId) {
      const [row] = await db.select({ values: observations.values }).from(observations)
        .where(and(eq(observations.userId, userId), eq(observations.metric, 'body_weight')))
        .orderBy(desc(observations.timeEnd)).limit(1);
      const kg = (row?.values as Record<string, { value: number } | undefined> | undefined)?.kg?.value;
      return typeof kg === 'number' ? kg : undefined;
    },
  };
}
