import type { Store } from '@pulsehub/store';
import { restingTrend, weeklyWeightChange } from '@pulsehub/physiology';
import type { Logger } from 'pino';
import type { Outcome } from './builtins.js';
import type { RuleEngine } from './engine.js';

/**
 * The "nothing happened" rules, checked on a timer: device offline, low steps by an hour of
 * the athlete's local day, resting-HR trend (daily rollups), weight change in a week. They
 * write through the engine (same lifecycle, same announcements). Several ingest workers may
 * each run it: raising an open alert again with no new readings changes nothing.
 */
export interface RuleScheduler {
  /** One pass over every user (tests call it with a clock). */
  runOnce(now?: Date): Promise<void>;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Local hour and the instant of local midnight in an IANA zone (UTC when none or unknown). */
export function localDay(now: Date, timeZone: string | null): { hour: number; midnight: Date } {
  let tz = timeZone ?? 'UTC';
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(now);
  } catch {
    tz = 'UTC';
    parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(now);
  }
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const hour = get('hour');
  const sinceMidnightMs = ((hour * 60 + get('minute')) * 60 + get('second')) * 1000 + now.getUTCMilliseconds();
  return { hour, midnight: new Date(now.getTime() - sinceMidnightMs) };
}

export function startRuleScheduler(o: { engine: RuleEngine; store: Store; logger: Logger; intervalMs: number }): RuleScheduler {
  let running: Promise<void> | null = null;
  let closed = false;

  const check = async (userId: string, ruleId: string, outcome: () => Promise<Outcome>, now: Date) => {
    await o.engine.enqueue(userId, async () => {
      const c = await o.engine.userContext(userId);
      if (c.disabled.has(ruleId)) return;
      await o.engine.apply(userId, c, { id: ruleId as never }, await outcome(), now);
    });
  };
  const params = async (userId: string, ruleId: string) => (await o.engine.paramsFor(userId, ruleId)).params;

  const pass = async (now: Date) => {
    const t = now.getTime();
    // Device offline: each owned, live device that has reported at least once.
    const byUser = new Map<string, { id: string; lastSeenAt: Date }[]>();
    for (const d of await o.store.devices.list()) {
      if (!d.userId || d.revokedAt || !d.lastSeenAt) continue;
      byUser.set(d.userId, [...(byUser.get(d.userId) ?? []), { id: d.id, lastSeenAt: d.lastSeenAt }]);
    }
    for (const [userId, devices] of byUser) {
      await check(userId, 'device-offline', async () => {
        const p = await params(userId, 'device-offline');
        const silent = devices.filter((d) => t - d.lastSeenAt.getTime() > p.minutes! * 60_000);
        if (silent.length === 0) return { kind: 'resolve' };
        return {
          kind: 'raise', severity: 'warning', title: `${silent.map((d) => d.id).join(', ')} silent for more than ${p.minutes} min`,
          detail: { devices: silent.map((d) => ({ id: d.id, lastSeenAt: d.lastSeenAt.toISOString() })) }, readingIds: [], significant: silent.map((d) => d.id).sort().join(','),
        };
      }, now);
    }
    for (const user of await o.store.users.list()) {
      const userId = user.id;
      // Low steps: only for users who wear something that counts steps (a reading in the last week).
      await check(userId, 'steps-low', async () => {
        const recent = await o.store.history.range({ userId, metric: 'steps', from: new Date(t - 7 * DAY_MS), to: new Date(t + 60_000), limit: 1 });
        if (recent.length === 0) return null;
        const p = await params(userId, 'steps-low');
        const { hour, midnight } = localDay(now, user.timeZone ?? null);
        if (hour < p.hour!) return { kind: 'resolve' }; // a new day starts clean
        const steps = await o.store.observations.stepsSince(userId, midnight);
        if (steps >= p.steps!) return { kind: 'resolve' };
        return { kind: 'raise', severity: 'info', title: `${Math.round(steps)} steps by ${p.hour}:00 (goal ${p.steps})`, detail: { steps: Math.round(steps), by: p.hour, day: dayOf(midnight.getTime() + 12 * 3600_000), timeZone: user.timeZone ?? 'UTC' }, readingIds: [], significant: dayOf(midnight.getTime() + 12 * 3600_000) };
      }, now);
      await check(userId, 'resting-hr-trend', async () => {
        const p = await params(userId, 'resting-hr-trend');
        const days = await o.store.history.daily({ userId, from: dayOf(t - 35 * DAY_MS), to: dayOf(t) });
        const tr = restingTrend(days.map((d) => ({ day: d.day, resting: d.restingHr })), dayOf(t));
        if (tr.delta === null || tr.recentDays < p.minDays! || tr.baselineDays < 7) return null; // not enough data: say nothing
        if (tr.delta < p.bpm!) return { kind: 'resolve' };
        return { kind: 'raise', severity: 'warning', title: `Resting HR 7-day mean ${tr.recentMean!.toFixed(1)} bpm, ${tr.delta.toFixed(1)} above the 28-day baseline`, detail: { ...tr }, readingIds: [] };
      }, now);
      await check(userId, 'weight-change', async () => {
        const p = await params(userId, 'weight-change');
        const ws = await o.store.history.range({ userId, metric: 'body_weight', from: new Date(t - 7 * DAY_MS), to: new Date(t + 60_000), limit: 1000 });
        const ch = weeklyWeightChange(ws.flatMap((e) => (e.values.kg ? [[Date.parse('at' in e.time ? e.time.at : e.time.end), e.values.kg.value] as const] : [])));
        if (!ch) return null;
        if (Math.abs(ch.percent) <= p.percent!) return { kind: 'resolve' };
        return {
          kind: 'raise', severity: 'warning', title: `Weight ${ch.percent > 0 ? '+' : ''}${ch.percent.toFixed(1)} % in a week (${ch.from} → ${ch.to} kg)`,
          detail: { percent: Math.round(ch.percent * 10) / 10, from: ch.from, to: ch.to, fromAt: new Date(ch.fromAt).toISOString(), toAt: new Date(ch.toAt).toISOString() },
          readingIds: ws.map((e) => e.id).slice(-10),
        };
      }, now);
    }
  };

  const runOnce = (now = new Date()) => {
    running ??= pass(now).catch((err: unknown) => o.logger.warn({ err: (err as Error).message }, 'scheduled alert rules failed')).finally(() => (running = null));
    return running;
  };
  const timer = setInterval(() => {
    if (!closed) void runOnce();
  }, o.intervalMs);
  timer.unref();
  return {
    runOnce,
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
    },
  };
}
