import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AthletesResponse, DeadLettersResponse, DeviceId, DeviceRegisteredResponse, MintedTokenResponse, OverlayTokenResponse, PulseHubError, SubjectKind, UserId } from '@pulsehub/contracts';
import { DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS, type TokenService } from '@pulsehub/auth';
import type { Store } from '@pulsehub/store';
import { listableAthletes } from '../access.js';
import { requirePrincipal } from './auth.js';
import type { LiveHub } from '../live/hub.js';
import { recordAudit } from '../audit.js';
import { registerDeviceRow } from './device-ownership.js';
import { answer } from './answer.js';

export interface ApiDeps {
  store: Store;
  tokens: TokenService;
  hub: LiveHub;
  /** Marks a token id revoked everywhere (broker, gateway). */
  revokeToken(jti: string): Promise<void>;
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new PulseHubError('PH_WEB_BAD_REQUEST', z.prettifyError(r.error));
  return r.data;
}

const MintBody = z.object({
  kind: SubjectKind,
  subject: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
  users: z.array(UserId).max(1000).default([]),
  ttlSeconds: z.number().int().positive().max(MAX_TOKEN_TTL_SECONDS).optional(),
}).strict();

const UserBody = z.object({ id: UserId, name: z.string().min(1).max(200), birthYear: z.number().int().min(1900).max(2100).optional(), maxHr: z.number().int().min(80).max(250).optional() }).strict();
const DeviceBody = z.object({ id: DeviceId, userId: UserId, kind: z.enum(['watch', 'scale', 'cuff', 'phone', 'strap', 'other']), model: z.string().max(200).optional(), adapter: z.string().max(64).optional() }).strict();
const OverlayBody = z.object({ athleteId: UserId, ttlSeconds: z.number().int().positive().max(5 * 365 * 86400).optional() }).strict();
const ConsentBody = z.object({ athleteId: UserId, viewerId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/) }).strict();

export function registerApi(app: FastifyInstance, d: ApiDeps): void {
  const admin = ['admin'] as const;

  app.post('/api/tokens', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, admin);
    const body = parse(MintBody, req.body);
    // Every token expires: without a ttlSeconds, the kind's default lifetime (as `pulsehub token`).
    const minted = await d.tokens.mint({ subject: body.subject, kind: body.kind, users: body.users, ttlSeconds: body.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS[body.kind] });
    await d.store.tokens.record({ jti: minted.jti, subject: body.subject, kind: body.kind, expiresAt: minted.expiresAt ? new Date(minted.expiresAt * 1000) : null });
    await recordAudit(d.store, p, 'token.mint', minted.jti, { kind: body.kind, subject: body.subject, users: body.users, ttlSeconds: body.ttlSeconds }, req.log);
    return reply.status(201).send(answer(MintedTokenResponse, minted));
  });

  /**
   * A read-only overlay token for one athlete (an OBS browser source): the athlete for
   * themselves, or an admin. Revocable like any token (DELETE /api/tokens/:jti).
   */
  app.post('/api/overlay-tokens', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, ['admin', 'athlete']);
    const body = parse(OverlayBody, req.body);
    if (p.kind === 'athlete' && !p.users.includes(body.athleteId)) throw new PulseHubError('PH_AUTH_FORBIDDEN', 'athletes create overlay tokens for themselves only');
    const subject = `overlay-${body.athleteId}`.slice(0, 64);
    const minted = await d.tokens.mint({ subject, kind: 'overlay', users: [body.athleteId], ttlSeconds: body.ttlSeconds });
    await d.store.tokens.record({ jti: minted.jti, subject, kind: 'overlay', expiresAt: minted.expiresAt ? new Date(minted.expiresAt * 1000) : null });
    await recordAudit(d.store, p, 'token.mint', minted.jti, { kind: 'overlay', athleteId: body.athleteId }, req.log);
    return reply.status(201).send(answer(OverlayTokenResponse, { ...minted, athleteId: body.athleteId, url: `/overlay.html?token=${minted.token}` }));
  });

  app.delete<{ Params: { jti: string } }>('/api/tokens/:jti', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, admin);
    parse(z.object({ jti: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, { error: 'a token id (jti) is 8-64 characters of A-Z a-z 0-9 _ -' }) }), req.params);
    await d.revokeToken(req.params.jti);
    await recordAudit(d.store, p, 'token.revoke', req.params.jti, undefined, req.log);
    return reply.status(204).send();
  });

  app.post('/api/users', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, admin);
    const body = parse(UserBody, req.body);
    await d.store.users.upsert(body);
    d.hub.forgetProfile(body.id);
    await recordAudit(d.store, p, 'user.upsert', body.id, body, req.log);
    return reply.status(201).send(body);
  });

  /** Registers a device for a user and returns its MQTT credentials. */
  app.post('/api/devices', async (req, reply) => {
    // A gateway may pair sensors for the users bound to it; they publish through the gateway.
    const p = await requirePrincipal(req, d.tokens, ['admin', 'gateway']);
    const body = parse(DeviceBody, req.body);
    if (p.kind === 'gateway' && !p.users.includes(body.userId)) {
      req.log.warn({ gateway: p.subject, userId: body.userId }, 'pairing refused: user not bound to this gateway');
      throw new PulseHubError('PH_AUTH_FORBIDDEN', `gateway ${p.subject} is not bound to user ${body.userId}`);
    }
    if (!(await d.store.users.get(body.userId))) throw new PulseHubError('PH_STORE_NOT_FOUND', `no user ${body.userId}; create it with POST /api/users`);
    await registerDeviceRow(d.store, body);
    if (p.kind === 'gateway') {
      await recordAudit(d.store, p, 'device.pair', body.id, body, req.log);
      return reply.status(201).send({ device: body, via: p.subject });
    }
    const minted = await d.tokens.mint({ subject: body.id, kind: 'device', users: [body.userId] });
    await d.store.tokens.record({ jti: minted.jti, subject: body.id, kind: 'device' });
    await recordAudit(d.store, p, 'device.register', body.id, { ...body, jti: minted.jti }, req.log);
    return reply.status(201).send(answer(DeviceRegisteredResponse, { device: body, mqtt: { username: body.id, password: minted.token, topic: `users/${body.userId}/events` }, jti: minted.jti }));
  });

  app.get('/api/athletes', async (req) => {
    const p = await requirePrincipal(req, d.tokens);
    const list = await listableAthletes(p, d.store);
    const users = await d.store.users.list();
    const visible = list === 'all' ? users : users.filter((u) => list.includes(u.id));
    return answer(AthletesResponse, { athletes: visible.map((u) => ({ id: u.id, name: u.name })) });
  });

  app.post('/api/consents', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, ['admin', 'athlete']);
    const body = parse(ConsentBody, req.body);
    if (p.kind === 'athlete' && !p.users.includes(body.athleteId)) throw new PulseHubError('PH_AUTH_FORBIDDEN', 'athletes grant consent for themselves only');
    await d.store.consents.grant(body.athleteId, body.viewerId);
    await recordAudit(d.store, p, 'consent.grant', `${body.athleteId}/${body.viewerId}`, body, req.log);
    return reply.status(201).send(body);
  });

  /** Revoking a consent cuts the viewer's live stream of that athlete at once. */
  app.delete<{ Params: { athleteId: string; viewerId: string } }>('/api/consents/:athleteId/:viewerId', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, ['admin', 'athlete']);
    const { athleteId, viewerId } = req.params;
    if (p.kind === 'athlete' && !p.users.includes(athleteId)) throw new PulseHubError('PH_AUTH_FORBIDDEN', 'athletes revoke consent for themselves only');
    // Cut the stream first: the viewer must not get another frame of this athlete.
    d.hub.revokeViewer(athleteId, viewerId);
    await d.store.consents.revoke(athleteId, viewerId);
    d.hub.revokeViewer(athleteId, viewerId);
    await recordAudit(d.store, p, 'consent.revoke', `${athleteId}/${viewerId}`, undefined, req.log);
    return reply.status(204).send();
  });

  app.get('/api/deadletters', async (req) => {
    await requirePrincipal(req, d.tokens, admin);
    const q = parse(z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), reason: z.string().optional() }), req.query);
    const rows = await d.store.deadLetters.list(q.reason === undefined ? { limit: q.limit } : { limit: q.limit, reason: q.reason });
    return answer(DeadLettersResponse, { deadLetters: rows.map((r) => ({ ...r, payload: r.payload.toString('base64') })) });
  });
}
