import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { GOAL_UNITS, PulseHubError, type GoalCreate, type GoalJson, type GoalKind, type GoalProgress, type GoalUpdate } from '@pulsehub/contracts';
import type { Db } from './db.js';
import { auditLog, goals, users } from './schema.js';
import { activeSecondsByDay, localDays } from './local-rollups.js';
import { addDays, computeProgress, localDay } from './goal-progress.js';
import { enqueueHooks } from './webhooks.js';

/** Who made a change, for the audit row written in the same transaction. */
export interface Actor { subject: string; kind: string }

export interface GoalsRepo {
  create(userId: string, g: GoalCreate, actor: Actor): Promise<GoalJson>;
  list(userId: string, status?: GoalJson['status']): Promise<GoalJson[]>;
  get(userId: string, goalId: string): Promise<GoalJson | undefined>;
  update(userId: string, goalId: string, patch: GoalUpdate, actor: Actor): Promise<GoalJson>;
  remove(userId: string, goalId: string, actor: Actor): Promise<boolean>;
  /** The athlete's IANA time zone (UTC when none is set). */
  timeZone(userId: string): Promise<string>;
  /** Progress over [from, to] (local days) from the local-day rollups only; `now` decides "today". */
  progress(goal: GoalJson, from: string, to: string, now?: Date): Promise<GoalProgress>;
  /** Active goals of these users. */
  activeFor(userIds: readonly string[]): Promise<GoalJson[]>;
  /**
   * Records that `periodStart` of a goal was reached; true only the first time (so one
   * `goal-reached` per goal and period). A `once` goal becomes `completed`. The `goal.reached`
   * webhook entry (with `reached`: the period's end, the streak, when) is written with the mark.
   */
  markReached(goal: GoalJson, periodStart: string, reached?: { periodEnd: string; streak: number; at: Date }): Promise<boolean>;
}

type Row = typeof goals.$inferSelect;

export function toGoalJson(r: Row): GoalJson {
  const kind = r.kind as GoalKind;
  return {
    id: r.id, userId: r.userId, kind, frequency: r.frequency as GoalJson['frequency'], target: r.target, targetDiastolic: r.targetDiastolic,
    direction: r.direction as GoalJson['direction'], unit: GOAL_UNITS[kind], startDate: r.startDate, targetDate: r.targetDate,
    status: r.status as GoalJson['status'], priority: r.priority, title: r.title, createdAt: r.createdAt.toISOString(), updatedAt: r.updatedAt.toISOString(),
  };
}

export function createGoalsRepo(db: Db): GoalsRepo {
  const audit = (tx: Db, actor: Actor, action: string, target: string, details: unknown) =>
    tx.insert(auditLog).values({ actor: actor.subject, actorKind: actor.kind, action, target, details });
  const timeZone = async (userId: string) => {
    const [u] = await db.select({ tz: users.timeZone }).from(users).where(eq(users.id, userId));
    return u?.tz ?? 'UTC';
  };
  return {
    timeZone,
    async create(userId, g, actor) {
      const startDate = g.startDate ?? localDay(await timeZone(userId));
      if (g.targetDate !== undefined && g.targetDate < startDate) throw new PulseHubError('PH_WEB_BAD_REQUEST', 'targetDate must not be before startDate');
      return db.transaction(async (tx) => {
        const [row] = await tx.insert(goals).values({
          id: randomUUID(), userId, kind: g.kind, frequency: g.frequency, target: g.target, targetDiastolic: g.targetDiastolic ?? null,
          direction: g.direction ?? 'down', startDate, targetDate: g.targetDate ?? null, status: g.status, priority: g.priority, title: g.title ?? null,
        }).returning();
        const goal = toGoalJson(row!);
        await audit(tx as unknown as Db, actor, 'goal.create', `${userId}/${goal.id}`, goal);
        return goal;
      });
    },
    async list(userId, status) {
      const rows = await db.select().from(goals).where(and(eq(goals.userId, userId), status ? eq(goals.status, status) : undefined)).orderBy(asc(goals.priority), asc(goals.createdAt));
      return rows.map(toGoalJson);
    },
    async get(userId, goalId) {
      const [row] = await db.select().from(goals).where(and(eq(goals.userId, userId), eq(goals.id, goalId)));
      return row ? toGoalJson(row) : undefined;
    },
    async update(userId, goalId, patch, actor) {
      return db.transaction(async (tx) => {
        const [old] = await tx.select().from(goals).where(and(eq(goals.userId, userId), eq(goals.id, goalId))).for('update');
        if (!old) throw new PulseHubError('PH_STORE_NOT_FOUND', `no goal ${goalId} of ${userId}`);
        const set: Partial<typeof goals.$inferInsert> = { updatedAt: new Date() };
        for (const k of ['frequency', 'target', 'targetDiastolic', 'direction', 'startDate', 'targetDate', 'status', 'priority', 'title'] as const) {
          if (patch[k] !== undefined) (set as Record<string, unknown>)[k] = patch[k];
        }
        const start = set.startDate ?? old.startDate;
        const end = set.targetDate === undefined ? old.targetDate : set.targetDate;
        if (end !== null && end < start) throw new PulseHubError('PH_WEB_BAD_REQUEST', 'targetDate must not be before startDate');
        if ((set.frequency ?? old.frequency) === 'once' && end === null) throw new PulseHubError('PH_WEB_BAD_REQUEST', 'a goal with frequency "once" needs a targetDate');
        const [row] = await tx.update(goals).set(set).where(eq(goals.id, goalId)).returning();
        const before = toGoalJson(old);
        const after = toGoalJson(row!);
        const changed = Object.fromEntries(Object.keys(patch).map((k) => [k, { from: before[k as keyof GoalJson], to: after[k as keyof GoalJson] }]));
        await audit(tx as unknown as Db, actor, 'goal.update', `${userId}/${goalId}`, changed);
        return after;
      });
    },
    async remove(userId, goalId, actor) {
      return db.transaction(async (tx) => {
        const rows = await tx.delete(goals).where(and(eq(goals.userId, userId), eq(goals.id, goalId))).returning();
        if (rows.length === 0) return false;
        await audit(tx as unknown as Db, actor, 'goal.delete', `${userId}/${goalId}`, toGoalJson(rows[0]!));
        return true;
      });
    },
    async progress(goal, from, to, now = new Date()) {
      const tz = await timeZone(goal.userId);
      // A week may start before `from`: read the whole first week.
      const readFrom = addDays(from, -7);
      const readTo = goal.frequency === 'once' && goal.targetDate ? (goal.targetDate > to ? goal.targetDate : to) : addDays(to, 7);
      const first = goal.frequency === 'once' && goal.startDate < readFrom ? goal.startDate : readFrom;
      const [days, active] = await Promise.all([
        localDays(db, goal.userId, first, readTo),
        goal.kind === 'weekly_active_minutes' ? activeSecondsByDay(db, goal.userId, first, readTo) : Promise.resolve(new Map<string, number>()),
      ]);
      const p = computeProgress(goal, from, to, localDay(tz, now), { days: new Map(days.map((d) => [d.day, d])), activeSeconds: active });
      return { goal, timeZone: tz, ...p };
    },
    async activeFor(userIds) {
      if (userIds.length === 0) return [];
      const rows = await db.select().from(goals).where(and(inArray(goals.userId, [...userIds]), eq(goals.status, 'active')));
      return rows.map(toGoalJson);
    },
    async markReached(goal, periodStart, reached) {
      // Issue 14: the `goal.reached` webhook entry commits with the mark (once per period).
      return db.transaction(async (txAny) => {
        const tx = txAny as unknown as Db;
        const rows = await tx.update(goals)
          .set({ reachedPeriod: periodStart, ...(goal.frequency === 'once' ? { status: 'completed', updatedAt: new Date() } : {}) })
          .where(and(eq(goals.id, goal.id), sql`${goals.reachedPeriod} is distinct from ${periodStart}::date`))
          .returning({ id: goals.id });
        if (rows.length === 0) return false;
        await enqueueHooks(tx, [{
          userId: goal.userId, eventType: 'goal.reached',
          payload: { goalId: goal.id, kind: goal.kind, frequency: goal.frequency, period: { start: periodStart, end: reached?.periodEnd ?? null }, streak: reached?.streak ?? null, at: (reached?.at ?? new Date()).toISOString() },
        }]);
        return true;
      });
    },
  };
}
