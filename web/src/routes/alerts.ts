import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  ALERT_RULES, AlertResponse, AlertRuleId, AlertRuleOverrideInput, AlertRulesResponse, AlertsResponse, InsightsResponse, PulseHubError, UserId,
  type AlertRuleJson, type Principal, type SubjectKind,
} from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import { alertJson, type Store } from '@pulsehub/store';
import { pearson, restingTrend } from '@pulsehub/physiology';
import { visibleAthletes } from '../access.js';
import { recordAudit } from '../audit.js';
import type { LiveHub } from '../live/hub.js';
import { requirePrincipal } from './auth.js';
import { parseBody } from './parse.js';
import { answer } from './answer.js';

/**
 * Alerts and insights of a user, with the history API's visibility rule (the athlete, an
 * admin, a coach with consent; an overlay token may read, not act):
 *
 *   GET    /api/users/:id/alerts[?open=true|false&limit]      → { alerts }
 *   POST   /api/users/:id/alerts/:alertId/ack                  → { alert }  (who and when kept)
 *   GET    /api/users/:id/alert-rules                          → { rules }  (defaults + overrides)
 *   PUT    /api/users/:id/alert-rules/:ruleId  { enabled, params } → { rules }
 *   DELETE /api/users/:id/alert-rules/:ruleId                  → { rules }  (back to the defaults)
 *   GET    /api/users/:id/insights                             → trend, weekly summary, correlations
 */
export interface AlertRouteDeps {
  store: Store;
  tokens: TokenService;
  hub: LiveHub;
}

const Params = z.object({ id: UserId });
const AlertParams = z.object({ id: UserId, alertId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
const RuleParams = z.object({ id: UserId, ruleId: AlertRuleId });
const ListQuery = z.object({ open: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }).strict();

/** Who may act on an athlete's alerts (acknowledge, change thresholds): not an overlay or a device. */
const ACTORS: readonly SubjectKind[] = ['admin', 'athlete', 'coach'];

/** Below this many pairs a correlation is "not enough data", never a number. */
export const MIN_CORRELATION_N = 7;

const DAY_MS = 86_400_000;
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export function registerAlertRoutes(app: FastifyInstance, d: AlertRouteDeps): void {
  const visible = async (req: FastifyRequest, kinds?: readonly SubjectKind[]): Promise<{ userId: string; principal: Principal }> => {
    const principal = await requirePrincipal(req, d.tokens, kinds);
    const { id } = parseBody(Params, { id: (req.params as { id?: unknown }).id });
    const { allowed } = await visibleAthletes(principal, d.store, [id]);
    if (allowed.length === 0) {
      req.log.info({ subject: principal.subject, kind: principal.kind, athlete: id, url: req.url.slice(0, 200) }, 'alerts refused: not visible to this principal');
      throw new PulseHubError('PH_AUTH_FORBIDDEN', principal.kind === 'coach' ? `${id} has not granted you consent` : `a ${principal.kind} token may not read ${id}'s alerts`);
    }
    if (!(await d.store.users.get(id))) throw new PulseHubError('PH_STORE_NOT_FOUND', `no user ${id}`);
    return { userId: id, principal };
  };

  const rulesOf = async (userId: string): Promise<AlertRuleJson[]> => {
    const overrides = new Map((await d.store.alertRules.list(userId)).map((o) => [o.ruleId, o]));
    return ALERT_RULES.map((r) => {
      const o = overrides.get(r.id);
      return {
        id: r.id, kind: r.kind, metric: r.metric, severity: r.severity, description: r.description, source: r.source,
        defaults: { ...r.defaults }, params: { ...r.defaults, ...(o?.params ?? {}) }, enabled: o?.enabled ?? true, overridden: o !== undefined,
      };
    });
  };

  app.get('/api/users/:id/alerts', async (req) => {
    const { userId } = await visible(req);
    const q = parseBody(ListQuery, req.query);
    const rows = await d.store.alerts.list(userId, { limit: q.limit, ...(q.open ? { open: q.open === 'true' } : {}) });
    return answer(AlertsResponse, { alerts: rows.map(alertJson) });
  });

  app.post('/api/users/:id/alerts/:alertId/ack', async (req) => {
    const { userId, principal } = await visible(req, ACTORS);
    const { alertId } = parseBody(AlertParams, req.params);
    const before = await d.store.alerts.get(userId, alertId);
    if (!before) throw new PulseHubError('PH_STORE_NOT_FOUND', `${userId} has no alert ${alertId}`);
    const row = await d.store.alerts.ack(userId, alertId, { subject: principal.subject, kind: principal.kind });
    if (!row) throw new PulseHubError('PH_STORE_NOT_FOUND', `${userId} has no alert ${alertId}`);
    const alert = alertJson(row);
    if (!before.ackedAt) {
      await recordAudit(d.store, principal, 'alert.ack', `${userId}/${alertId}`, { ruleId: row.ruleId }, req.log);
      d.hub.announceAlert('acked', alert);
    }
    return answer(AlertResponse, { alert });
  });

  app.get('/api/users/:id/alert-rules', async (req) => {
    const { userId } = await visible(req);
    return answer(AlertRulesResponse, { rules: await rulesOf(userId) });
  });

  app.put('/api/users/:id/alert-rules/:ruleId', async (req) => {
    const { userId, principal } = await visible(req, ACTORS);
    const { ruleId } = parseBody(RuleParams, req.params);
    const body = parseBody(AlertRuleOverrideInput, req.body ?? {});
    const def = ALERT_RULES.find((r) => r.id === ruleId)!;
    const unknown = Object.keys(body.params).filter((k) => !Object.hasOwn(def.defaults, k));
    if (unknown.length > 0) {
      const known = Object.keys(def.defaults);
      throw new PulseHubError('PH_WEB_BAD_REQUEST', `params: ${ruleId} has no threshold ${unknown.map((k) => JSON.stringify(k)).join(', ')} (${known.length ? `known: ${known.join(', ')}` : 'it has no thresholds; only enabled'})`);
    }
    await d.store.alertRules.put(userId, ruleId, { enabled: body.enabled, params: body.params }, principal.subject);
    await recordAudit(d.store, principal, 'alert-rule.set', `${userId}/${ruleId}`, body, req.log);
    return answer(AlertRulesResponse, { rules: await rulesOf(userId) });
  });

  app.delete('/api/users/:id/alert-rules/:ruleId', async (req) => {
    const { userId, principal } = await visible(req, ACTORS);
    const { ruleId } = parseBody(RuleParams, req.params);
    if (await d.store.alertRules.delete(userId, ruleId)) await recordAudit(d.store, principal, 'alert-rule.reset', `${userId}/${ruleId}`, null, req.log);
    return answer(AlertRulesResponse, { rules: await rulesOf(userId) });
  });

  app.get('/api/users/:id/insights', async (req) => {
    const { userId } = await visible(req);
    const now = Date.now();
    const asOf = dayOf(now);
    const days = await d.store.history.daily({ userId, from: dayOf(now - 41 * DAY_MS), to: asOf });
    const trend = restingTrend(days.map((r) => ({ day: r.day, resting: r.restingHr })), asOf);
    const weekFrom = dayOf(now - 6 * DAY_MS);
    const prevFrom = dayOf(now - 13 * DAY_MS);
    const thisWeek = days.filter((r) => r.day >= weekFrom);
    const prevWeek = days.filter((r) => r.day >= prevFrom && r.day < weekFrom);
    const rest = thisWeek.flatMap((r) => (r.restingHr === null ? [] : [r.restingHr]));
    const alerts = await d.store.alerts.list(userId, { limit: 500 });
    // Sleep duration (asleep minutes of the sessions ending that day) vs the next day's resting HR.
    const sleeps = await d.store.history.range({ userId, metric: 'sleep', from: new Date(now - 41 * DAY_MS), to: new Date(now + DAY_MS), limit: 5000 });
    const asleepByDay = new Map<string, number>();
    for (const s of sleeps) {
      const end = 'at' in s.time ? s.time.at : s.time.end;
      const min = s.values.asleep?.value;
      if (min !== undefined) asleepByDay.set(end.slice(0, 10), (asleepByDay.get(end.slice(0, 10)) ?? 0) + min);
    }
    const restingByDay = new Map(days.flatMap((r) => (r.restingHr === null ? [] : [[r.day, r.restingHr] as const])));
    const xs: number[] = [];
    const ys: number[] = [];
    for (const [day, min] of asleepByDay) {
      // The night ending on `day` comes before that day's resting HR (the morning after).
      const next = restingByDay.get(day);
      if (next === undefined) continue;
      xs.push(min / 60);
      ys.push(next);
    }
    const enough = xs.length >= MIN_CORRELATION_N;
    const r = enough ? pearson(xs, ys) : null;
    return answer(InsightsResponse, {
      userId, asOf,
      trend: { restingHr: { ...trend, recentMean: r1(trend.recentMean), baselineMean: r1(trend.baselineMean), delta: r1(trend.delta) } },
      weekly: {
        from: weekFrom, to: asOf,
        steps: thisWeek.reduce((a, b) => a + b.steps, 0), stepsPreviousWeek: prevWeek.reduce((a, b) => a + b.steps, 0),
        avgRestingHr: rest.length ? Math.round((rest.reduce((a, b) => a + b, 0) / rest.length) * 10) / 10 : null,
        alertsOpened: alerts.filter((a) => a.severity !== 'info' && a.openedAt.getTime() >= Date.parse(`${weekFrom}T00:00:00Z`)).length,
      },
      correlations: [{
        id: 'sleep-vs-next-day-resting-hr', description: 'Sleep duration (h) of a night vs resting HR (bpm) of the day it ends',
        n: xs.length, r: r === null ? null : Math.round(r * 1000) / 1000, minN: MIN_CORRELATION_N, status: enough ? ('ok' as const) : ('not-enough-data' as const),
      }],
      insights: alerts.filter((a) => a.severity === 'info').slice(0, 20).map(alertJson),
    });
  });
}

const r1 = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);
