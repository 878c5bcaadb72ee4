import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DeviceId, DevicesResponse, PulseHubError, UserId } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import type { Store } from '@pulsehub/store';
import { requirePrincipal } from './auth.js';
import { recordAudit } from '../audit.js';
import { assertRegistrable, registerDeviceRow } from './device-ownership.js';
import { answer } from './answer.js';

/**
 * The device registry for admins: list and inspect devices, register gateways with the users
 * they serve, issue a new token, revoke a device (all its recorded tokens are revoked, so a
 * connected device is cut at once and refused from then on).
 */
export interface DeviceRouteDeps {
  store: Store;
  tokens: TokenService;
  /** Marks a token revoked everywhere (broker nodes disconnect its client). */
  revokeToken(jti: string): Promise<void>;
  /** Tells every broker node the device is revoked (cuts it even with a token that was never recorded). */
  revokeDevice?(deviceId: string): Promise<void>;
}

const GatewayBody = z.object({ id: DeviceId, users: z.array(UserId).min(1).max(1000), model: z.string().max(200).optional(), adapter: z.string().max(64).optional() }).strict();

export function registerDevices(app: FastifyInstance, d: DeviceRouteDeps): void {
  const registry = d.store.devices;
  const admin = ['admin'] as const;
  const issue = async (id: string, kind: 'device' | 'gateway', users: string[]) => {
    const minted = await d.tokens.mint({ subject: id, kind, users });
    await d.store.tokens.record({ jti: minted.jti, subject: id, kind });
    return minted;
  };

  app.get('/api/devices', async (req) => {
    await requirePrincipal(req, d.tokens, admin);
    return answer(DevicesResponse, { devices: await registry.list() });
  });

  app.get<{ Params: { id: string } }>('/api/devices/:id', async (req) => {
    await requirePrincipal(req, d.tokens, admin);
    const device = await registry.get(req.params.id);
    if (!device) throw new PulseHubError('PH_STORE_NOT_FOUND', `no device ${req.params.id}`);
    return { device };
  });

  /** A gateway publishes for its bound users, and only those (their ids travel in its token). */
  app.post('/api/gateways', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, admin);
    const r = GatewayBody.safeParse(req.body);
    if (!r.success) throw new PulseHubError('PH_WEB_BAD_REQUEST', z.prettifyError(r.error));
    const body = r.data;
    await assertRegistrable(d.store, { id: body.id, userId: null, kind: 'gateway' });
    await d.store.users.ensure(body.users);
    await registerDeviceRow(d.store, { id: body.id, userId: null, kind: 'gateway', model: body.model ?? null, adapter: body.adapter ?? 'ble.v1' });
    await registry.bindGateway(body.id, body.users);
    const minted = await issue(body.id, 'gateway', body.users);
    await recordAudit(d.store, p, 'gateway.register', body.id, { users: body.users, jti: minted.jti }, req.log);
    return reply.status(201).send({ device: await registry.get(body.id), mqtt: { username: body.id, password: minted.token, topics: body.users.map((u) => `users/${u}/events`) }, jti: minted.jti });
  });

  /** A new token for a registered device (e.g. after a key rotation); older tokens stay valid until revoked. */
  app.post<{ Params: { id: string } }>('/api/devices/:id/tokens', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, admin);
    const device = await registry.get(req.params.id);
    if (!device) throw new PulseHubError('PH_STORE_NOT_FOUND', `no device ${req.params.id}`);
    if (device.revokedAt) throw new PulseHubError('PH_AUTH_FORBIDDEN', `device ${device.id} is revoked; an admin restores it with POST /api/devices/${device.id}/restore`);
    const minted = await issue(device.id, device.kind === 'gateway' ? 'gateway' : 'device', device.users);
    await recordAudit(d.store, p, 'device.token', device.id, { jti: minted.jti }, req.log);
    return reply.status(201).send({ mqtt: { username: device.id, password: minted.token }, jti: minted.jti });
  });

  /**
   * Clears a device's revocation: the only way back for a revoked device (registering it again
   * is refused). Its old tokens stay revoked; issue a new one with POST /api/devices/:id/tokens.
   */
  app.post<{ Params: { id: string } }>('/api/devices/:id/restore', async (req) => {
    const p = await requirePrincipal(req, d.tokens, admin);
    if (!(await registry.get(req.params.id))) throw new PulseHubError('PH_STORE_NOT_FOUND', `no device ${req.params.id}`);
    const restored = await registry.restore(req.params.id);
    if (restored) await recordAudit(d.store, p, 'device.restore', req.params.id, undefined, req.log);
    return { device: await registry.get(req.params.id), restored };
  });

  app.delete<{ Params: { id: string } }>('/api/devices/:id', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, admin);
    if (!(await registry.get(req.params.id))) throw new PulseHubError('PH_STORE_NOT_FOUND', `no device ${req.params.id}`);
    const jtis = await registry.revoke(req.params.id);
    for (const jti of jtis) await d.revokeToken(jti);
    await d.revokeDevice?.(req.params.id);
    await recordAudit(d.store, p, 'device.revoke', req.params.id, { tokens: jtis }, req.log);
    return reply.status(200).send({ revoked: req.params.id, tokens: jtis.length });
  });
}
