import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import type { SyncCursor } from './history.js';
import { analyzerInsights, analyzerSyncLog, sharingConsents } from './schema.js';

export interface SharingConsentRow { userId: string; purpose: string; grantedBy: string; grantedAt: Date; revokedAt: Date | null }

export interface SyncLogRow {
  id: number;
  userId: string;
  trigger: string;
  startedAt: Date;
  finishedAt: Date | null;
  status: 'running' | 'ok' | 'failed';
  count: number;
  cursorBefore: SyncCursor | null;
  cursorAfter: SyncCursor | null;
  insights: number;
  error: string | null;
}

export interface AnalyzerInsightInput { kind: string; severity: string; title: string; body: string; metric?: string | undefined; at?: string | undefined }
export interface InsightRow { id: number; userId: string; syncId: number | null; kind: string; severity: string; title: string; body: string; metric: string | null; at: Date | null; createdAt: Date }

/** Sharing consents with a purpose, the analyzer sync log and the insights it brought back. */
export interface SyncLogRepo {
  grant(userId: string, purpose: string, by: string): Promise<void>;
  revoke(userId: string, purpose: string): Promise<boolean>;
  /** Users with a live consent for `purpose`. */
  consented(purpose: string): Promise<string[]>;
  hasConsent(userId: string, purpose: string): Promise<boolean>;
  consents(userId?: string): Promise<SharingConsentRow[]>;
  /** Where the next run starts: the cursor after the newest `ok` run (null: from the beginning). */
  lastCursor(userId: string): Promise<SyncCursor | null>;
  /** A `running` row, or undefined when a run for this user is already under way (on any node). */
  start(userId: string, trigger: string, cursorBefore: SyncCursor | null): Promise<number | undefined>;
  finish(id: number, r: { status: 'ok' | 'failed'; count: number; cursorAfter: SyncCursor | null; insights?: number; error?: string }): Promise<void>;
  /** Marks runs still `running` after `olderThanMs` failed (their node died). */
  expireRunning(olderThanMs: number): Promise<number>;
  list(filter?: { userId?: string; limit?: number }): Promise<SyncLogRow[]>;
  addInsights(userId: string, syncId: number | null, insights: readonly AnalyzerInsightInput[]): Promise<InsightRow[]>;
  insights(userId: string, limit?: number): Promise<InsightRow[]>;
}

export function createSyncLogRepo(db: Db): SyncLogRepo {
  return {
    async grant(userId, purpose, by) {
      await db.insert(sharingConsents).values({ userId, purpose, grantedBy: by })
        .onConflictDoUpdate({ target: [sharingConsents.userId, sharingConsents.purpose], set: { grantedAt: new Date(), grantedBy: by, revokedAt: null } });
    },
    async revoke(userId, purpose) {
      const rows = await db.update(sharingConsents).set({ revokedAt: new Date() })
        .where(and(eq(sharingConsents.userId, userId), eq(sharingConsents.purpose, purpose), isNull(sharingConsents.revokedAt)))
        .returning({ u: sharingConsents.userId });
      return rows.length > 0;
    },
    async consented(purpose) {
      const rows = await db.select({ u: sharingConsents.userId }).from(sharingConsents)
        .where(and(eq(sharingConsents.purpose, purpose), isNull(sharingConsents.revokedAt))).orderBy(sharingConsents.userId);
      return rows.map((r) => r.u);
    },
    async hasConsent(userId, purpose) {
      const rows = await db.select({ u: sharingConsents.userId }).from(sharingConsents)
        .where(and(eq(sharingConsents.userId, userId), eq(sharingConsents.purpose, purpose), isNull(sharingConsents.revokedAt)));
      return rows.length > 0;
    },
    async consents(userId) {
      return db.select().from(sharingConsents).where(userId ? eq(sharingConsents.userId, userId) : undefined).orderBy(sharingConsents.userId, sharingConsents.purpose);
    },
    async lastCursor(userId) {
      const [row] = await db.select({ c: analyzerSyncLog.cursorAfter }).from(analyzerSyncLog)
        .where(and(eq(analyzerSyncLog.userId, userId), eq(analyzerSyncLog.status, 'ok'), sql`${analyzerSyncLog.cursorAfter} is not null`))
        .orderBy(desc(analyzerSyncLog.id)).limit(1);
      return row?.c ?? null;
    },
    async start(userId, trigger, cursorBefore) {
      const rows = await db.insert(analyzerSyncLog).values({ userId, trigger, cursorBefore })
        .onConflictDoNothing({ target: analyzerSyncLog.userId, where: sql`${analyzerSyncLog.status} = 'running'` })
        .returning({ id: analyzerSyncLog.id });
      return rows[0]?.id;
    },
    async finish(id, r) {
      await db.update(analyzerSyncLog).set({
        status: r.status, count: r.count, cursorAfter: r.cursorAfter, insights: r.insights ?? 0, error: r.error?.slice(0, 2000) ?? null, finishedAt: new Date(),
      }).where(eq(analyzerSyncLog.id, id));
    },
    async expireRunning(olderThanMs) {
      const rows = await db.update(analyzerSyncLog).set({ status: 'failed', error: 'the run did not finish (its node stopped)', finishedAt: new Date() })
        .where(and(eq(analyzerSyncLog.status, 'running'), sql`${analyzerSyncLog.startedAt} < now() - make_interval(secs => ${olderThanMs / 1000}::float8)`))
        .returning({ id: analyzerSyncLog.id });
      return rows.length;
    },
    async list(filter = {}) {
      const rows = await db.select().from(analyzerSyncLog).where(filter.userId ? eq(analyzerSyncLog.userId, filter.userId) : undefined)
        .orderBy(desc(analyzerSyncLog.id)).limit(filter.limit ?? 100);
      return rows as SyncLogRow[];
    },
    async addInsights(userId, syncId, insights) {
      if (insights.length === 0) return [];
      return db.insert(analyzerInsights).values(insights.map((i) => ({
        userId, syncId, kind: i.kind, severity: i.severity, title: i.title, body: i.body, metric: i.metric ?? null, at: i.at ? new Date(i.at) : null,
      }))).returning();
    },
    async insights(userId, limit = 50) {
      return db.select().from(analyzerInsights).where(eq(analyzerInsights.userId, userId)).orderBy(desc(analyzerInsights.id)).limit(limit);
    },
  };
}
