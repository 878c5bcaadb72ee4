import { GOAL_KIND_METRICS, eventInstant, liveTopic, type CanonicalEvent, type GoalJson, type GoalMessage, type GoalPeriod, type GoalReachedMessage } from '@pulsehub/contracts';
import { GOAL_METRICS, type Store } from '@pulsehub/store';
import type { Logger } from 'pino';

/**
 * Where a reached goal is recorded as an insight (the alerts/insights engine's table). The
 * engine is built on another branch: the integrator passes its sink in `IntakeOptions.insights`;
 * until then this is a no-op.
 */
export interface InsightSink {
  goalReached(i: { userId: string; goal: GoalJson; period: GoalPeriod; streak: number; at: string }): Promise<void> | void;
}
export const NO_INSIGHTS: InsightSink = Object.freeze({ goalReached: () => {} });

export interface GoalTrackerOptions {
  store: Store;
  publishLive(topic: string, payload: string): void;
  /** The same goal frames as objects, to an in-process LiveHub (see IntakeOptions.deliverGoal). */
  deliverGoal?(athlete: string, msg: GoalMessage | GoalReachedMessage): void;
  insights?: InsightSink;
  logger: Logger;
  now?: () => Date;
}

/**
 * Runs after a batch commits (never before: nothing fires on a reading that was not stored):
 * recomputes the local-day rollups the stored readings touched, then the current period of
 * each active goal they move, and publishes a `goal` frame on the athlete's live topic — and a
 * `goal-reached` frame (plus an insight) the first time a period is met. Work is coalesced: one
 * pass at a time, readings arriving meanwhile wait for the next.
 */
export class GoalTracker {
  private pending: { userId: string; at: string; metric: string }[] = [];
  private running: Promise<void> | null = null;
  private readonly insights: InsightSink;
  private readonly now: () => Date;
  /** Passes run, and goal-reached frames sent (for tests and /metrics). */
  passes = 0;
  reached = 0;

  constructor(private readonly o: GoalTrackerOptions) {
    this.insights = o.insights ?? NO_INSIGHTS;
    this.now = o.now ?? (() => new Date());
  }

  /** Readings that were just committed (some may have been duplicates: recomputing is idempotent). */
  committed(events: readonly CanonicalEvent[]): void {
    let any = false;
    for (const e of events) {
      if (!GOAL_METRICS.has(e.metric)) continue;
      this.pending.push({ userId: e.userId, at: eventInstant(e.time), metric: e.metric });
      any = true;
    }
    if (any && !this.running) this.running = this.drain();
  }

  /** Resolves when every committed reading so far has been evaluated. */
  async settle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          await this.pass(batch);
        } catch (err) {
          this.o.logger.warn({ err: (err as Error).message }, 'goal progress pass failed');
        }
      }
    } finally {
      this.running = null;
    }
  }

  private async pass(batch: { userId: string; at: string; metric: string }[]): Promise<void> {
    this.passes++;
    const { store } = this.o;
    await store.localRollups.recompute(batch);
    const metricsByUser = new Map<string, Set<string>>();
    for (const b of batch) {
      let s = metricsByUser.get(b.userId);
      if (!s) metricsByUser.set(b.userId, (s = new Set()));
      s.add(b.metric);
    }
    const goals = await store.goals.activeFor([...metricsByUser.keys()]);
    const now = this.now();
    for (const goal of goals) {
      if (!GOAL_KIND_METRICS[goal.kind].some((m) => metricsByUser.get(goal.userId)?.has(m))) continue;
      const tz = await store.goals.timeZone(goal.userId);
      const today = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
      const from = goal.frequency === 'once' ? goal.startDate : today;
      const progress = await store.goals.progress(goal, from < today ? from : today, today, now);
      const period = progress.current ?? progress.periods[progress.periods.length - 1];
      if (!period) continue;
      const topic = liveTopic(goal.userId);
      const frame: GoalMessage = { type: 'goal', athlete: goal.userId, goalId: goal.id, kind: goal.kind, period, streak: progress.streak };
      this.o.deliverGoal?.(goal.userId, frame);
      this.o.publishLive(topic, JSON.stringify(frame));
      if (period.met && (await store.goals.markReached(goal, period.start, { periodEnd: period.end, streak: progress.streak, at: now }))) {
        this.reached++;
        const at = now.toISOString();
        const reached: GoalReachedMessage = { type: 'goal-reached', athlete: goal.userId, goalId: goal.id, kind: goal.kind, period, streak: progress.streak, at };
        this.o.deliverGoal?.(goal.userId, reached);
        this.o.publishLive(topic, JSON.stringify(reached));
        await this.insights.goalReached({ userId: goal.userId, goal, period, streak: progress.streak, at });
      }
    }
  }
}
