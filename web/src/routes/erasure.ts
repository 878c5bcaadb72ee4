import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ErasureConfirmationResponse, ErasureResponse, PulseHubError, UserId, WS_CLOSE } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import type { Store } from '@pulsehub/store';
import { requirePrincipal } from './auth.js';
import { parseBody } from './parse.js';
import { recordAudit } from '../audit.js';
import { answer } from './answer.js';
import type { LiveHub } from '../live/hub.js';
import type { LiveSession } from '../live/session.js';

/**
 * DELETE /api/users/:id erases a person: every row, one transaction (store/src/erasure.ts).
 * An admin may erase anyone. An athlete may erase themself with a confirmation token: a
 * short-lived token (`POST /api/users/:id/erasure-confirmation`, sent back in the
 * `X-Erasure-Confirmation` header) so a stolen session token alone, or a stray request,
 * cannot wipe a record. The confirmation carries no users, so it reads and writes nothing.
 */
export const CONFIRMATION_TTL_SECONDS = 600;
const CONFIRM_JTI = 'erasure-';
const Params = z.object({ id: UserId });

export interface ErasureRouteDeps {
  store: Store;
  tokens: TokenService;
  hub: LiveHub;
  sessions: ReadonlySet<LiveSession>;
  /** Marks a token revoked everywhere and closes its live sessions. */
  revokeToken: (jti: string) => Promise<void>;
  revokeDevice?: (deviceId: string) => Promise<void>;
}

export function registerErasure(app: FastifyInstance, d: ErasureRouteDeps): void {
  const confirmSubject = (id: string) => `erase.${id}`;

  app.post<{ Params: { id: string } }>('/api/users/:id/erasure-confirmation', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, ['athlete']);
    const { id } = parseBody(Params, req.params);
    if (!p.users.includes(id)) throw new PulseHubError('PH_AUTH_FORBIDDEN', 'athletes confirm the erasure of their own data only');
    const minted = await d.tokens.mint({ subject: confirmSubject(id).slice(0, 64), kind: 'athlete', users: [], ttlSeconds: CONFIRMATION_TTL_SECONDS, jti: `${CONFIRM_JTI}${randomBytes(12).toString('hex')}` });
    await recordAudit(d.store, p, 'user.erasure_confirmation', id, undefined, req.log);
    const expiresAt = new Date((minted.expiresAt ?? Math.floor(Date.now() / 1000) + CONFIRMATION_TTL_SECONDS) * 1000).toISOString();
    return reply.status(201).send(answer(ErasureConfirmationResponse, { userId: id, token: minted.token, expiresAt }));
  });

  app.delete<{ Params: { id: string } }>('/api/users/:id', async (req) => {
    const p = await requirePrincipal(req, d.tokens, ['admin', 'athlete']);
    const { id } = parseBody(Params, req.params);
    if (p.kind === 'athlete') {
      if (!p.users.includes(id)) throw new PulseHubError('PH_AUTH_FORBIDDEN', 'athletes erase their own data only');
      const header = req.headers['x-erasure-confirmation'];
      if (typeof header !== 'string' || header === '') throw new PulseHubError('PH_WEB_CONFIRMATION_REQUIRED', 'send the token of POST /api/users/:id/erasure-confirmation in X-Erasure-Confirmation');
      const c = await d.tokens.verify(header).catch(() => undefined);
      if (!c || !c.jti.startsWith(CONFIRM_JTI) || c.subject !== confirmSubject(id).slice(0, 64) || c.users.length !== 0) {
        throw new PulseHubError('PH_WEB_CONFIRMATION_REQUIRED', 'the confirmation token is not valid for this user (or has expired): ask for a new one');
      }
    }
    // Viewers who follow them now: cut before the rows go, as a consent revocation does.
    const viewers = (await d.store.consents.list()).filter((c) => c.athleteId === id && !c.revokedAt).map((c) => c.viewerId);
    for (const v of viewers) d.hub.revokeViewer(id, v);
    const result = await d.store.erasure.erase(id, { subject: p.subject, kind: p.kind });
    if (!result) throw new PulseHubError('PH_STORE_NOT_FOUND', `no user ${id}`);
    for (const jti of result.revokedJtis) await d.revokeToken(jti);
    for (const device of result.deviceIds) await d.revokeDevice?.(device).catch((err: unknown) => req.log.error({ err, device }, 'device revocation broadcast failed'));
    // Tokens never recorded (older CLIs) have no row: close any live session acting as or for them.
    for (const s of d.sessions) {
      if (s.principal && (s.principal.subject === id || s.principal.users.includes(id))) s.close(WS_CLOSE.unauthenticated, 'user erased');
    }
    for (const v of viewers) d.hub.revokeViewer(id, v);
    req.log.info({ userId: id, by: p.subject, counts: result.counts }, 'user erased');
    return answer(ErasureResponse, { userId: id, erased: true as const, counts: result.counts });
  });
}
