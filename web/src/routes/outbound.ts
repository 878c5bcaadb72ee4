import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { METRIC_IDS, PulseHubError, SharingPurpose, WebhookEventType, type Principal } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import { checkWebhookUrl } from '@pulsehub/outbound';
import type { Store } from '@pulsehub/store';
import { requirePrincipal } from './auth.js';
import { parseBody } from './parse.js';
import { recordAudit } from '../audit.js';
import { visibleAthletes } from '../access.js';

/**
 * Issue 14: webhook subscriptions and their delivery log, sharing consents with a purpose, the
 * analyzer sync (on demand) and its log, and the insights it stored.
 *
 *   POST   /api/webhooks { userId, url, events, metrics?, secret?, windowMs?, maxBatch?, active? } → { webhook, secret }
 *   GET    /api/webhooks?userId                       → { webhooks }        (admin: all; athlete: own)
 *   GET    /api/webhooks/:id                          → { webhook, deliveries }
 *   PATCH  /api/webhooks/:id { url?, events?, … }     → { webhook }
 *   DELETE /api/webhooks/:id                          → { deleted }
 *   POST   /api/webhooks/deliveries/replay { id?, subscriptionId?, limit? } → { replayed }   (admin)
 *   PUT    /api/users/:id/sharing-consents/:purpose   → { consent }         (admin, the athlete)
 *   DELETE /api/users/:id/sharing-consents/:purpose   → { revoked }
 *   POST   /api/users/:id/sync-now                    → { run }             (admin, the athlete)
 *   GET    /api/admin/sync-log?userId                 → { runs }            (admin)
 *   GET    /api/users/:id/analyzer-insights            → { insights }        (the visibility rule)
 */
export interface OutboundRouteOptions {
  store: Store;
  tokens: TokenService;
  /** PULSEHUB_WEBHOOK_ALLOW_HOSTS: hosts past the SSRF guard. */
  webhookAllowHosts?: readonly string[] | undefined;
  /** The analyzer sync's on-demand run (absent: no analyzer configured). */
  syncNow?: ((userId: string) => Promise<unknown>) | undefined;
}

const Metric = z.enum(METRIC_IDS);
const SubscriptionBody = z.object({
  userId: z.string().min(1).max(256),
  url: z.string().min(1).max(2048),
  events: z.array(WebhookEventType).min(1).max(WebhookEventType.options.length),
  metrics: z.array(Metric).min(1).max(METRIC_IDS.length).nullable().optional(),
  secret: z.string().min(16, { error: 'a secret of at least 16 characters (omit it to have one generated)' }).max(256).optional(),
  windowMs: z.number().int().min(0).max(3_600_000).optional(),
  maxBatch: z.number().int().min(1).max(10_000).optional(),
  active: z.boolean().optional(),
}).strict();
const PatchBody = SubscriptionBody.omit({ userId: true }).partial().strict();
const IdParams = z.object({ id: z.string().min(1).max(64) });
const UserParams = z.object({ id: z.string().min(1).max(256) });
const ConsentParams = z.object({ id: z.string().min(1).max(256), purpose: SharingPurpose });
const ReplayBody = z.object({ id: z.string().max(64).optional(), subscriptionId: z.string().max(64).optional(), limit: z.number().int().min(1).max(10_000).default(1000) })
  .strict().refine((b) => b.id !== undefined || b.subscriptionId !== undefined, { error: 'name what to replay: a delivery id, a subscriptionId, or both' });
const ListQuery = z.object({ userId: z.string().max(256).optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** Admin for anyone; an athlete for themself. */
function mayManage(p: Principal, userId: string): boolean {
  return p.kind === 'admin' || (p.kind === 'athlete' && p.users.includes(userId));
}
function requireManage(p: Principal, userId: string): void {
  if (!mayManage(p, userId)) throw new PulseHubError('PH_AUTH_FORBIDDEN', `a ${p.kind} token may not manage ${userId}'s outbound sharing`);
}

export function registerOutbound(app: FastifyInstance, d: OutboundRouteOptions): void {
  const allowHosts = new Set((d.webhookAllowHosts ?? []).map((h) => h.toLowerCase()));
  const manage = ['admin', 'athlete'] as const;
  const owned = async (p: Principal, id: string) => {
    const sub = await d.store.webhooks.get(id);
    if (!sub) throw new PulseHubError('PH_WEB_NOT_FOUND', `no webhook ${id}`);
    requireManage(p, sub.userId);
    return sub;
  };

  app.post('/api/webhooks', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, manage);
    const b = parseBody(SubscriptionBody, req.body ?? {});
    requireManage(p, b.userId);
    checkWebhookUrl(b.url, allowHosts);
    if (!(await d.store.users.get(b.userId))) throw new PulseHubError('PH_WEB_NOT_FOUND', `no user ${b.userId}`);
    const secret = b.secret ?? randomBytes(32).toString('base64url');
    const webhook = await d.store.webhooks.create({ ...b, secret, createdBy: p.subject });
    await recordAudit(d.store, p, 'webhook.create', webhook.id, { userId: b.userId, host: new URL(b.url).host, events: b.events }, req.log);
    reply.status(201);
    // The secret is shown once, here; the lists never carry it.
    return { webhook, secret };
  });

  app.get('/api/webhooks', async (req) => {
    const p = await requirePrincipal(req, d.tokens, manage);
    const q = parseBody(ListQuery, req.query ?? {});
    if (p.kind === 'admin') return { webhooks: await d.store.webhooks.list(q.userId ? { userId: q.userId } : {}) };
    const users = q.userId ? [q.userId] : p.users;
    for (const u of users) requireManage(p, u);
    return { webhooks: (await Promise.all(users.map((userId) => d.store.webhooks.list({ userId })))).flat() };
  });

  app.get('/api/webhooks/:id', async (req) => {
    const p = await requirePrincipal(req, d.tokens, manage);
    const { id } = parseBody(IdParams, req.params);
    const webhook = await owned(p, id);
    return { webhook, deliveries: await d.store.webhooks.deliveries({ subscriptionId: id, limit: 50 }) };
  });

  app.patch('/api/webhooks/:id', async (req) => {
    const p = await requirePrincipal(req, d.tokens, manage);
    const { id } = parseBody(IdParams, req.params);
    const b = parseBody(PatchBody, req.body ?? {});
    await owned(p, id);
    if (b.url !== undefined) checkWebhookUrl(b.url, allowHosts);
    const webhook = await d.store.webhooks.update(id, b);
    await recordAudit(d.store, p, 'webhook.update', id, { fields: Object.keys(b).filter((k) => k !== 'secret'), secretChanged: b.secret !== undefined }, req.log);
    return { webhook };
  });

  app.delete('/api/webhooks/:id', async (req) => {
    const p = await requirePrincipal(req, d.tokens, manage);
    const { id } = parseBody(IdParams, req.params);
    await owned(p, id);
    const deleted = await d.store.webhooks.remove(id);
    await recordAudit(d.store, p, 'webhook.delete', id, undefined, req.log);
    return { deleted };
  });

  app.post('/api/webhooks/deliveries/replay', async (req) => {
    const p = await requirePrincipal(req, d.tokens, ['admin']);
    const b = parseBody(ReplayBody, req.body ?? {});
    const replayed = await d.store.webhooks.replay(b);
    await recordAudit(d.store, p, 'webhook.replay', b.id ?? b.subscriptionId ?? '', { replayed: replayed.length }, req.log);
    return { replayed };
  });

  app.put('/api/users/:id/sharing-consents/:purpose', async (req) => {
    const p = await requirePrincipal(req, d.tokens, manage);
    const { id, purpose } = parseBody(ConsentParams, req.params);
    requireManage(p, id);
    if (!(await d.store.users.get(id))) throw new PulseHubError('PH_WEB_NOT_FOUND', `no user ${id}`);
    await d.store.syncLog.grant(id, purpose, p.subject);
    await recordAudit(d.store, p, 'sharing.grant', id, { purpose }, req.log);
    const consent = (await d.store.syncLog.consents(id)).find((c) => c.purpose === purpose);
    return { consent };
  });

  app.delete('/api/users/:id/sharing-consents/:purpose', async (req) => {
    const p = await requirePrincipal(req, d.tokens, manage);
    const { id, purpose } = parseBody(ConsentParams, req.params);
    requireManage(p, id);
    const revoked = await d.store.syncLog.revoke(id, purpose);
    await recordAudit(d.store, p, 'sharing.revoke', id, { purpose }, req.log);
    return { revoked };
  });

  app.post('/api/users/:id/sync-now', async (req) => {
    const p = await requirePrincipal(req, d.tokens, manage);
    const { id } = parseBody(UserParams, req.params);
    requireManage(p, id);
    if (!(await d.store.users.get(id))) throw new PulseHubError('PH_STORE_NOT_FOUND', `no user ${id}`);
    if (!d.syncNow) throw new PulseHubError('PH_ANALYZER_NOT_CONFIGURED', 'no analyzer is configured: set PULSEHUB_ANALYZER_URL');
    const run = await d.syncNow(id);
    await recordAudit(d.store, p, 'analyzer.sync', id, undefined, req.log);
    return { run };
  });

  app.get('/api/admin/sync-log', async (req) => {
    await requirePrincipal(req, d.tokens, ['admin']);
    const q = parseBody(ListQuery, req.query ?? {});
    return { runs: await d.store.syncLog.list({ ...(q.userId ? { userId: q.userId } : {}), limit: q.limit }) };
  });

  app.get('/api/users/:id/analyzer-insights', async (req) => {
    const p = await requirePrincipal(req, d.tokens);
    const { id } = parseBody(UserParams, req.params);
    const { allowed } = await visibleAthletes(p, d.store, [id]);
    if (allowed.length === 0) throw new PulseHubError('PH_AUTH_FORBIDDEN', `${p.subject} may not see ${id}`);
    return { insights: await d.store.syncLog.insights(id, 50) };
  });
}
