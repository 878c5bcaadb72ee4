import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MyClassTimersResponse, PulseHubError, SessionResponse, SessionsResponse, SessionStartedResponse, TimerResponse, UserId, type Principal } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import type { ClassRepo, ClassSessionRow, Store } from '@pulsehub/store';
import { sessionAudience, visibleAthletes } from '../access.js';
import { recordAudit } from '../audit.js';
import { sessionInfo, type ClassSessions } from '../live/classes.js';
import { validZoneFloors, ZONE_FLOORS } from '@pulsehub/physiology';
import { requirePrincipal } from './auth.js';
import { parseBody } from './parse.js';
import { answer } from './answer.js';

export interface SessionRouteDeps {
  store: Store;
  tokens: TokenService;
  classes: ClassSessions;
  repo: ClassRepo;
}

const StartBody = z.object({
  name: z.string().trim().min(1).max(120),
  athletes: z.array(UserId).min(1).max(200),
  zoneFloors: z.array(z.number()).length(5).refine(validZoneFloors, { error: `five increasing fractions of max HR, e.g. [${ZONE_FLOORS.join(', ')}]` }).optional(),
}).strict();

const TimerBody = z.object({
  workSec: z.number().int().min(5).max(3600),
  restSec: z.number().int().min(0).max(3600),
  rounds: z.number().int().min(1).max(100),
}).strict();

const coachOrAdmin = ['coach', 'admin'] as const;

function assertOwner(p: Principal, row: ClassSessionRow): void {
  if (p.kind !== 'admin' && row.coachId !== p.subject) throw new PulseHubError('PH_AUTH_FORBIDDEN', `class session ${row.id} belongs to another coach`);
}

/** Class sessions: a coach starts one with the athletes that share with them, ends it, reads its summary. */
export function registerSessionRoutes(app: FastifyInstance, d: SessionRouteDeps): void {
  app.post('/api/sessions', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, coachOrAdmin);
    const body = parseBody(StartBody, req.body);
    const { allowed, denied } = await visibleAthletes(p, d.store, body.athletes);
    if (denied.length > 0) throw new PulseHubError('PH_AUTH_FORBIDDEN', `no consent to see ${denied.join(', ')}`);
    const session = await d.classes.start({ coachId: p.subject, name: body.name, athletes: allowed, ...(body.zoneFloors ? { zoneFloors: body.zoneFloors } : {}) });
    await recordAudit(d.store, p, 'session.start', session.id, { name: body.name, athletes: allowed }, req.log);
    return reply.status(201).send(answer(SessionStartedResponse, { session }));
  });

  /**
   * The class timers an athlete's phone shows (issue 18): an athlete, or a device acting for
   * them (the phone app's token), gets the timers of the open classes they are in, and nothing
   * else of the class. Polled by the phone, which has no /live subscription of its own.
   */
  app.get('/api/my-class-timers', async (req) => {
    const p = await requirePrincipal(req, d.tokens, ['athlete', 'device']);
    const rows = await d.repo.list({ limit: 200 });
    const mine = rows.filter((r) => !r.endedAt && r.timer && r.athletes.some((a) => p.users.includes(a)));
    return answer(MyClassTimersResponse, { timers: mine.map((r) => ({ session: r.id, name: r.name, timer: r.timer! })) });
  });

  app.get('/api/sessions', async (req) => {
    const p = await requirePrincipal(req, d.tokens, coachOrAdmin);
    const rows = await d.repo.list(p.kind === 'admin' ? {} : { coachId: p.subject });
    return answer(SessionsResponse, { sessions: rows.map(sessionInfo) });
  });

  app.get<{ Params: { id: string } }>('/api/sessions/:id', async (req) => {
    const p = await requirePrincipal(req, d.tokens, coachOrAdmin);
    const row = await d.classes.get(req.params.id);
    assertOwner(p, row);
    // A stored summary is already the coach's view (cut at any revocation, see ClassSessions.end);
    // live tallies are filtered by the visibility rule now.
    if (row.endedAt) return answer(SessionResponse, { session: sessionInfo(row), summaries: await d.repo.summaries(row.id) });
    const { allowed } = await visibleAthletes(p, d.store, row.athletes);
    return answer(SessionResponse, { session: sessionInfo(row), tallies: (await d.classes.tallies(row.id)).filter((t) => allowed.includes(t.athlete)) });
  });

  /** Starts the class's interval timer (work/rest rounds); every board watching shows it. */
  app.post<{ Params: { id: string } }>('/api/sessions/:id/timer', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, coachOrAdmin);
    assertOwner(p, await d.classes.get(req.params.id));
    const body = parseBody(TimerBody, req.body);
    const timer = await d.classes.setTimer(req.params.id, body);
    await recordAudit(d.store, p, 'session.timer.start', req.params.id, body, req.log);
    return reply.status(201).send(answer(TimerResponse, { timer }));
  });

  /** Stops the interval timer (it stays on record with its stop time). */
  app.delete<{ Params: { id: string } }>('/api/sessions/:id/timer', async (req) => {
    const p = await requirePrincipal(req, d.tokens, coachOrAdmin);
    assertOwner(p, await d.classes.get(req.params.id));
    const timer = await d.classes.setTimer(req.params.id, null);
    await recordAudit(d.store, p, 'session.timer.stop', req.params.id, {}, req.log);
    return answer(TimerResponse, { timer });
  });

  /** Ends the class: the per-athlete summary is computed from every reading and stored. */
  app.post<{ Params: { id: string } }>('/api/sessions/:id/end', async (req) => {
    const p = await requirePrincipal(req, d.tokens, coachOrAdmin);
    const row = await d.classes.get(req.params.id);
    assertOwner(p, row);
    const ended = await d.classes.end(req.params.id, sessionAudience(row, p));
    await recordAudit(d.store, p, 'session.end', req.params.id, { athletes: ended.summaries.length }, req.log);
    return ended;
  });
}
