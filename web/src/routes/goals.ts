import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { GoalCreate, GoalProgressResponse, GoalResponse, GoalsResponse, GoalUpdate, GOAL_STATUSES, PulseHubError, UserId } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import { addDays, localDay, type Store } from '@pulsehub/store';
import { visibleAthletes } from '../access.js';
import { requirePrincipal } from './auth.js';
import { StorableText, parseBody } from './parse.js';
import { answer } from './answer.js';

/**
 * Goals (contracts/src/goals.ts):
 *
 *   POST   /api/users/:id/goals                          → 201 { goal }
 *   GET    /api/users/:id/goals[?status]                 → { goals }
 *   GET    /api/users/:id/goals/:goalId                  → { goal }
 *   PUT    /api/users/:id/goals/:goalId                  → { goal }   (the fields to change)
 *   DELETE /api/users/:id/goals/:goalId                  → 204
 *   GET    /api/users/:id/goals/:goalId/progress?from&to → { goal, timeZone, periods, current, streak }
 *
 * Changes: the athlete or an admin, each with an audit row. Reads: whoever may see the athlete.
 * `from`/`to` are local days of the athlete (default: the last 28 days, or 12 weeks).
 */
const Params = z.object({ id: UserId });
const GoalParams = z.object({ id: UserId, goalId: StorableText.min(1).max(64) });
const Day = z.iso.date({ error: 'must be a day YYYY-MM-DD' });
const ProgressQuery = z.object({ from: Day.optional(), to: Day.optional() }).strict()
  .refine((q) => !q.from || !q.to || q.from <= q.to, { path: ['to'], message: 'to must not be before from' })
  .refine((q) => !q.from || !q.to || Date.parse(q.to) - Date.parse(q.from) <= 400 * 86_400_000, { path: ['to'], message: 'a range covers at most 400 days' });
const ListQuery = z.object({ status: z.enum(GOAL_STATUSES).optional() }).strict();

export function registerGoals(app: FastifyInstance, d: { store: Store; tokens: TokenService }): void {
  const writer = async (req: FastifyRequest) => {
    const p = await requirePrincipal(req, d.tokens, ['admin', 'athlete']);
    const { id } = parseBody(Params, { id: (req.params as { id?: unknown }).id });
    if (p.kind === 'athlete' && !p.users.includes(id)) throw new PulseHubError('PH_AUTH_FORBIDDEN', 'athletes set their own goals only');
    if (!(await d.store.users.get(id))) throw new PulseHubError('PH_STORE_NOT_FOUND', `no user ${id}`);
    return { actor: { subject: p.subject, kind: p.kind }, userId: id };
  };
  const reader = async (req: FastifyRequest) => {
    const p = await requirePrincipal(req, d.tokens);
    const { id } = parseBody(Params, { id: (req.params as { id?: unknown }).id });
    const { allowed } = await visibleAthletes(p, d.store, [id]);
    if (allowed.length === 0) throw new PulseHubError('PH_AUTH_FORBIDDEN', p.kind === 'coach' ? `${id} has not granted you consent` : `a ${p.kind} token may not read ${id}'s goals`);
    return id;
  };
  const goalOf = async (userId: string, req: FastifyRequest) => {
    const { goalId } = parseBody(GoalParams, req.params);
    const goal = await d.store.goals.get(userId, goalId);
    if (!goal) throw new PulseHubError('PH_STORE_NOT_FOUND', `no goal ${goalId} of ${userId}`);
    return goal;
  };

  app.post('/api/users/:id/goals', async (req, reply) => {
    const { actor, userId } = await writer(req);
    const body = parseBody(GoalCreate, req.body);
    return reply.status(201).send(answer(GoalResponse, { goal: await d.store.goals.create(userId, body, actor) }));
  });

  app.get('/api/users/:id/goals', async (req) => {
    const userId = await reader(req);
    const q = parseBody(ListQuery, req.query);
    return answer(GoalsResponse, { goals: await d.store.goals.list(userId, q.status) });
  });

  app.get('/api/users/:id/goals/:goalId', async (req) => {
    const userId = await reader(req);
    return answer(GoalResponse, { goal: await goalOf(userId, req) });
  });

  app.put('/api/users/:id/goals/:goalId', async (req) => {
    const { actor, userId } = await writer(req);
    const goal = await goalOf(userId, req);
    const patch = parseBody(GoalUpdate, req.body);
    return answer(GoalResponse, { goal: await d.store.goals.update(userId, goal.id, patch, actor) });
  });

  app.delete('/api/users/:id/goals/:goalId', async (req, reply) => {
    const { actor, userId } = await writer(req);
    const goal = await goalOf(userId, req);
    await d.store.goals.remove(userId, goal.id, actor);
    return reply.status(204).send();
  });

  app.get('/api/users/:id/goals/:goalId/progress', async (req) => {
    const userId = await reader(req);
    const goal = await goalOf(userId, req);
    const q = parseBody(ProgressQuery, req.query);
    const to = q.to ?? localDay(await d.store.goals.timeZone(userId));
    const from = q.from ?? addDays(to, goal.frequency === 'weekly' ? -83 : -27);
    if (from > to) throw new PulseHubError('PH_WEB_BAD_REQUEST', 'from must not be after to');
    return answer(GoalProgressResponse, await d.store.goals.progress(goal, from, to));
  });
}
