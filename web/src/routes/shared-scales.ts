import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DeviceId, PendingReadingsResponse, PulseHubError, UserId, type Principal } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import type { PendingReading, Store } from '@pulsehub/store';
import { requirePrincipal } from './auth.js';
import { recordAudit } from '../audit.js';
import type { LiveHub } from '../live/hub.js';
import { answer } from './answer.js';

/**
 * Shared scales and their pending weigh-ins. An admin registers a scale with the people who
 * use it (the hub's binding is the only candidate list attribution trusts). A weigh-in the
 * hub could not attribute waits as a pending reading: one of the scale's users (for
 * themselves) or an admin assigns it — its events then go through the normal store path
 * (same event ids, so assigning twice stores once; daily rollups and history see it) — or
 * discards it. Every decision is audited.
 */
export interface SharedScaleRouteDeps {
  store: Store;
  tokens: TokenService;
  hub: LiveHub;
}

const ScaleBody = z.object({ id: DeviceId, users: z.array(UserId).min(1).max(50), model: z.string().max(200).optional() }).strict();
const AssignBody = z.object({ userId: UserId }).strict();

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new PulseHubError('PH_WEB_BAD_REQUEST', z.prettifyError(r.error));
  return r.data;
}

/** What a viewer of the list sees: no raw events, the numbers a person decides on. */
const view = (p: PendingReading) => ({
  id: p.id, scaleId: p.scaleId, measuredAt: p.measuredAt.toISOString(), kg: p.kg, impedanceOhm: p.impedanceOhm, reason: p.reason,
  candidates: p.candidates, receivedAt: p.receivedAt.toISOString(),
});

/** An admin, or an athlete acting for one of the reading's candidates. */
function mayDecide(p: Principal, reading: PendingReading, userId?: string): boolean {
  if (p.kind === 'admin') return true;
  if (p.kind !== 'athlete') return false;
  const concerned = reading.candidates.filter((c) => p.users.includes(c));
  return userId === undefined ? concerned.length > 0 : concerned.includes(userId);
}

export function registerSharedScales(app: FastifyInstance, d: SharedScaleRouteDeps): void {
  const registry = d.store.devices;
  const repo = d.store.sharedScales;

  const openReading = async (id: string) => {
    const reading = await repo.getPending(id);
    if (!reading) throw new PulseHubError('PH_STORE_NOT_FOUND', `no pending reading ${id}`);
    if (reading.resolution) throw new PulseHubError('PH_WEB_ALREADY_RESOLVED', `pending reading ${id} was ${reading.resolution}`);
    return reading;
  };

  /** A scale several people share; its weigh-ins (through any gateway bound to one of them) are attributed by the hub. */
  app.post('/api/shared-scales', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, ['admin']);
    const body = parse(ScaleBody, req.body);
    await d.store.users.ensure(body.users);
    await d.store.devices.upsert({ id: body.id, userId: null, kind: 'shared_scale', model: body.model ?? null, adapter: 'ble.v1' });
    await registry.bindUsers(body.id, body.users);
    await recordAudit(d.store, p, 'scale.register', body.id, { users: body.users }, req.log);
    return reply.status(201).send({ device: await registry.get(body.id) });
  });

  app.get('/api/pending-readings', async (req) => {
    await requirePrincipal(req, d.tokens, ['admin']);
    return answer(PendingReadingsResponse, { pending: (await repo.listPending()).map(view) });
  });

  app.get<{ Params: { id: string } }>('/api/users/:id/pending-readings', async (req) => {
    const p = await requirePrincipal(req, d.tokens, ['admin', 'athlete']);
    if (p.kind === 'athlete' && !p.users.includes(req.params.id)) throw new PulseHubError('PH_AUTH_FORBIDDEN', 'athletes see their own pending weigh-ins only');
    return answer(PendingReadingsResponse, { pending: (await repo.listPending({ userId: req.params.id })).map(view) });
  });

  app.post<{ Params: { id: string } }>('/api/pending-readings/:id/assign', async (req) => {
    const p = await requirePrincipal(req, d.tokens, ['admin', 'athlete']);
    const { userId } = parse(AssignBody, req.body);
    const reading = await openReading(req.params.id);
    if (!mayDecide(p, reading, userId)) throw new PulseHubError('PH_AUTH_FORBIDDEN', `only ${userId} (a user of scale ${reading.scaleId}) or an admin may take this weigh-in`);
    if (!(await d.store.users.get(userId))) throw new PulseHubError('PH_STORE_NOT_FOUND', `no user ${userId}`);
    // claim it first, so two people assigning at once cannot store it twice under different users
    if (!(await repo.resolvePending(reading.id, { resolution: 'assigned', by: p.subject, assignedTo: userId }))) {
      throw new PulseHubError('PH_WEB_ALREADY_RESOLVED', `pending reading ${reading.id} was resolved meanwhile`);
    }
    const events = reading.events.map((e) => ({ ...e, userId }));
    let inserted: number;
    try {
      // the normal store path: idempotent ids, daily rollups updated from the new rows
      ({ inserted } = await d.store.observations.commitBatch({ events }));
    } catch (err) {
      await repo.reopenPending(reading.id).catch(() => undefined);
      throw err;
    }
    for (const e of events) d.hub.publish(e);
    await recordAudit(d.store, p, 'pending.assign', reading.id, { userId, scaleId: reading.scaleId, kg: reading.kg, inserted }, req.log);
    return { assigned: reading.id, userId, stored: inserted };
  });

  app.delete<{ Params: { id: string } }>('/api/pending-readings/:id', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, ['admin', 'athlete']);
    const reading = await openReading(req.params.id);
    if (!mayDecide(p, reading)) throw new PulseHubError('PH_AUTH_FORBIDDEN', `only a user of scale ${reading.scaleId} or an admin may discard this weigh-in`);
    if (!(await repo.resolvePending(reading.id, { resolution: 'discarded', by: p.subject }))) {
      throw new PulseHubError('PH_WEB_ALREADY_RESOLVED', `pending reading ${reading.id} was resolved meanwhile`);
    }
    await recordAudit(d.store, p, 'pending.discard', reading.id, { scaleId: reading.scaleId, kg: reading.kg }, req.log);
    return reply.status(204).send();
  });
}
