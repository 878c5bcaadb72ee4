import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { alertHookEntries, DEVICE_OFFLINE_RULE } from './event-hooks.js';
import { alertRuleOverrides, alerts } from './schema.js';
import { enqueueHooks } from './webhooks.js';

export type AlertRow = typeof alerts.$inferSelect;
export type AlertSeverityText = 'info' | 'warning' | 'critical';

export interface RaiseInput {
  userId: string;
  ruleId: string;
  severity: AlertSeverityText;
  title: string;
  detail: Record<string, unknown>;
  /** The readings that (still) meet the condition; an update whose readings are all known changes nothing. */
  readingIds: readonly string[];
  at?: Date;
}

export interface InsightInput {
  userId: string;
  ruleId: string;
  /** Recording the same key twice keeps one row (e.g. `goal-reached:<goal>:<period>`). */
  key: string;
  title: string;
  detail?: Record<string, unknown>;
  readingIds?: readonly string[];
  at?: Date;
}

/** At most this many triggering reading ids are kept per alert (the newest). */
export const MAX_READING_IDS = 50;

export interface AlertRepo {
  /**
   * Opens the rule's alert for the athlete, or updates the one open (one open alert per rule
   * and athlete). Null when nothing changed: the readings were already on the open alert (a
   * redelivery).
   */
  raise(a: RaiseInput): Promise<{ change: 'opened' | 'updated'; alert: AlertRow } | null>;
  /** Resolves the rule's open alert; null when none was open. */
  resolve(userId: string, ruleId: string, at?: Date): Promise<AlertRow | null>;
  /** Records an insight (severity `info`, resolved at once); null when its key was already recorded. */
  recordInsight(i: InsightInput): Promise<AlertRow | null>;
  openRules(userId: string): Promise<string[]>;
  list(userId: string, o?: { open?: boolean; limit?: number; severity?: AlertSeverityText }): Promise<AlertRow[]>;
  get(userId: string, id: number): Promise<AlertRow | undefined>;
  /** Acknowledges (first acknowledgement kept: who and when); undefined when there is no such alert. */
  ack(userId: string, id: number, by: { subject: string; kind: string }): Promise<AlertRow | undefined>;
}

export interface AlertRuleOverrideRow { userId: string; ruleId: string; enabled: boolean; params: Record<string, number>; updatedAt: Date; updatedBy: string }

export interface AlertRuleRepo {
  list(userId: string): Promise<AlertRuleOverrideRow[]>;
  put(userId: string, ruleId: string, o: { enabled: boolean; params: Record<string, number> }, by: string): Promise<AlertRuleOverrideRow>;
  delete(userId: string, ruleId: string): Promise<boolean>;
}

export function createAlertRepo(db: Db): AlertRepo {
  return {
    async raise(a) {
      const at = a.at ?? new Date();
      const ids = JSON.stringify([...new Set(a.readingIds)].slice(-MAX_READING_IDS));
      // Issue 14: the webhook entries it causes are written in the alert's own transaction.
      return db.transaction(async (txAny) => {
        const tx = txAny as unknown as Db;
        // Which devices were already silent (only that rule needs the row as it was).
        const [previous] = a.ruleId === DEVICE_OFFLINE_RULE
          ? await tx.select().from(alerts).where(and(eq(alerts.userId, a.userId), eq(alerts.ruleId, a.ruleId), isNull(alerts.resolvedAt))).for('update')
          : [];
        const [row] = await tx.insert(alerts).values({
          userId: a.userId, ruleId: a.ruleId, severity: a.severity, title: a.title, detail: a.detail,
          readingIds: sql`${ids}::jsonb`, openedAt: at, updatedAt: at,
        }).onConflictDoUpdate({
          target: [alerts.userId, alerts.ruleId],
          targetWhere: isNull(alerts.resolvedAt),
          set: {
            severity: a.severity, title: a.title, detail: a.detail, updatedAt: at, updates: sql`${alerts.updates} + 1`,
            // The union, newest last, capped.
            readingIds: sql`(select coalesce(jsonb_agg(x order by n), '[]'::jsonb) from (
              select x, n from (select x, row_number() over () as n from jsonb_array_elements_text(${alerts.readingIds} || (select coalesce(jsonb_agg(y), '[]'::jsonb) from jsonb_array_elements_text(${ids}::jsonb) y where not ${alerts.readingIds} ? y)) x) t
              order by n desc limit ${MAX_READING_IDS}) s)`,
          },
          // A redelivered reading (all its ids on the alert already) changes nothing. The
          // device-offline alert names no readings: it changes when its set of silent devices does.
          setWhere: a.ruleId === DEVICE_OFFLINE_RULE
            ? sql`${alerts.detail} -> 'devices' is distinct from ${JSON.stringify(a.detail.devices ?? null)}::jsonb`
            : sql`not (${alerts.readingIds} @> ${ids}::jsonb)`,
        }).returning();
        if (!row) return null;
        const change = row.updates === 0 ? 'opened' as const : 'updated' as const;
        await enqueueHooks(tx, alertHookEntries(change, row, previous));
        return { change, alert: row };
      });
    },
    async resolve(userId, ruleId, at = new Date()) {
      return db.transaction(async (txAny) => {
        const tx = txAny as unknown as Db;
        const [row] = await tx.update(alerts).set({ resolvedAt: at, updatedAt: at })
          .where(and(eq(alerts.userId, userId), eq(alerts.ruleId, ruleId), isNull(alerts.resolvedAt))).returning();
        if (!row) return null;
        await enqueueHooks(tx, alertHookEntries('resolved', row));
        return row;
      });
    },
    async recordInsight(i) {
      const at = i.at ?? new Date();
      const [row] = await db.insert(alerts).values({
        userId: i.userId, ruleId: i.ruleId, severity: 'info', title: i.title, detail: i.detail ?? {}, key: i.key,
        readingIds: sql`${JSON.stringify(i.readingIds ?? [])}::jsonb`, openedAt: at, updatedAt: at, resolvedAt: at,
      }).onConflictDoNothing({ target: [alerts.userId, alerts.key] }).returning();
      return row ?? null;
    },
    async openRules(userId) {
      const rows = await db.select({ r: alerts.ruleId }).from(alerts).where(and(eq(alerts.userId, userId), isNull(alerts.resolvedAt)));
      return rows.map((r) => r.r);
    },
    async list(userId, o = {}) {
      return db.select().from(alerts).where(and(
        eq(alerts.userId, userId),
        o.open === true ? isNull(alerts.resolvedAt) : o.open === false ? sql`${alerts.resolvedAt} is not null` : undefined,
        o.severity ? eq(alerts.severity, o.severity) : undefined,
      )).orderBy(desc(alerts.openedAt), desc(alerts.id)).limit(o.limit ?? 100);
    },
    async get(userId, id) {
      const [row] = await db.select().from(alerts).where(and(eq(alerts.userId, userId), eq(alerts.id, id)));
      return row;
    },
    async ack(userId, id, by) {
      const [row] = await db.update(alerts).set({ ackedAt: new Date(), ackedBy: by.subject, ackedByKind: by.kind })
        .where(and(eq(alerts.userId, userId), eq(alerts.id, id), isNull(alerts.ackedAt))).returning();
      return row ?? (await this.get(userId, id));
    },
  };
}

export function createAlertRuleRepo(db: Db): AlertRuleRepo {
  return {
    async list(userId) {
      return db.select().from(alertRuleOverrides).where(eq(alertRuleOverrides.userId, userId)).orderBy(alertRuleOverrides.ruleId);
    },
    async put(userId, ruleId, o, by) {
      const values = { userId, ruleId, enabled: o.enabled, params: o.params, updatedAt: new Date(), updatedBy: by };
      const [row] = await db.insert(alertRuleOverrides).values(values)
        .onConflictDoUpdate({ target: [alertRuleOverrides.userId, alertRuleOverrides.ruleId], set: { enabled: values.enabled, params: values.params, updatedAt: values.updatedAt, updatedBy: by } })
        .returning();
      return row!;
    },
    async delete(userId, ruleId) {
      const rows = await db.delete(alertRuleOverrides).where(and(eq(alertRuleOverrides.userId, userId), eq(alertRuleOverrides.ruleId, ruleId))).returning({ r: alertRuleOverrides.ruleId });
      return rows.length > 0;
    },
  };
}

/** A row as the contracts' AlertJson. */
export function alertJson(r: AlertRow) {
  return {
    id: r.id, userId: r.userId, ruleId: r.ruleId, severity: r.severity as AlertSeverityText, title: r.title, detail: r.detail,
    readingIds: r.readingIds, updates: r.updates, openedAt: r.openedAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
    resolvedAt: r.resolvedAt?.toISOString() ?? null, ackedAt: r.ackedAt?.toISOString() ?? null, ackedBy: r.ackedBy,
  };
}
