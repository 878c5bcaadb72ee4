import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PhoneDeviceResponse, PulseHubError, UserId } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import type { Store } from '@pulsehub/store';
import { requirePrincipal } from './auth.js';
import { recordAudit } from '../audit.js';
import { registerDeviceRow } from './device-ownership.js';
import { answer } from './answer.js';
import { profileOf } from '../live/profile.js';

export interface PhoneRouteDeps {
  store: Store;
  tokens: TokenService;
}

const PhoneBody = z.object({ athleteId: UserId, model: z.string().max(200).optional() }).strict();

/**
 * The phone app (`/app`, issue 18) signs in as a device: an athlete registers a phone for
 * themselves (an admin for anyone) and gets a device token for it, with the app's address
 * carrying it in the fragment (`/app/#device=…&user=…&maxHr=…&token=…`: a fragment never reaches a server
 * log). The phone publishes like any device, so revoking it (DELETE /api/devices/:id) cuts it.
 */
export function registerPhoneRoutes(app: FastifyInstance, d: PhoneRouteDeps): void {
  app.post('/api/phone-devices', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, ['admin', 'athlete']);
    const r = PhoneBody.safeParse(req.body);
    if (!r.success) throw new PulseHubError('PH_WEB_BAD_REQUEST', z.prettifyError(r.error));
    const body = r.data;
    if (p.kind === 'athlete' && !p.users.includes(body.athleteId)) throw new PulseHubError('PH_AUTH_FORBIDDEN', 'athletes register phones for themselves only');
    const user = await d.store.users.get(body.athleteId);
    if (!user) throw new PulseHubError('PH_STORE_NOT_FOUND', `no user ${body.athleteId}`);
    const id = `phone-${body.athleteId.slice(0, 48)}-${randomBytes(4).toString('hex')}`;
    const device = { id, userId: body.athleteId, kind: 'phone', model: body.model ?? 'phone web app', adapter: 'pulsehub.v1' };
    await registerDeviceRow(d.store, device);
    const minted = await d.tokens.mint({ subject: id, kind: 'device', users: [body.athleteId] });
    await d.store.tokens.record({ jti: minted.jti, subject: id, kind: 'device', expiresAt: minted.expiresAt ? new Date(minted.expiresAt * 1000) : null });
    await recordAudit(d.store, p, 'device.register', id, { ...device, jti: minted.jti, via: 'phone-app' }, req.log);
    const url = `/app/#${new URLSearchParams({ device: id, user: body.athleteId, maxHr: String(profileOf(user).maxHr), token: minted.token }).toString()}`;
    return reply.status(201).send(answer(PhoneDeviceResponse, { device, mqtt: { username: id, password: minted.token, topic: `users/${body.athleteId}/events` }, jti: minted.jti, url }));
  });
}
