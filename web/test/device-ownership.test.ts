import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTokenService, generateSigningKey, type TokenService } from '@pulsehub/auth';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { createWebApp, type WebApp } from '@pulsehub/web';

// Issue 11, defect 3: gateway gw1, bound only to ana, could POST /api/devices for ben's
// existing watch and take it over (201; the watch then belonged to ana and its readings
// dead-lettered); re-pairing a device an admin revoked cleared its revocation.

describe('device registration never takes over or restores a device implicitly', () => {
  let db: TestDatabase;
  let store: Store;
  let tokens: TokenService;
  let web: WebApp;
  let admin: string;
  let gateway: string;

  const call = async (token: string, method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) => {
    const res = await web.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : {}) as { error?: { code: string }; mqtt?: { password: string } } };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openStore(db.target);
    tokens = createTokenService({ current: generateSigningKey(), previous: [] });
    web = await createWebApp({ store, tokens, logger: pino({ level: 'silent' }), revokeToken: async () => {} });
    admin = (await tokens.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 })).token;
    for (const id of ['ana', 'ben']) expect((await call(admin, 'POST', '/api/users', { id, name: id })).status).toBe(201);
    expect((await call(admin, 'POST', '/api/devices', { id: 'watch-b', userId: 'ben', kind: 'watch' })).status).toBe(201);
    const gw = await call(admin, 'POST', '/api/gateways', { id: 'gw1', users: ['ana'] });
    expect(gw.status).toBe(201);
    gateway = gw.body.mqtt!.password;
  });
  afterAll(async () => {
    await web?.close();
    await store?.close();
    await db?.drop();
  });

  const owner = async (id: string) => (await store.devices.get(id))?.userId;

  it("a gateway may not pair another user's existing device for its user (409), and the refusal is audited", async () => {
    const res = await call(gateway, 'POST', '/api/devices', { id: 'watch-b', userId: 'ana', kind: 'watch' });
    expect(res.status).toBe(409);
    expect(res.body.error?.code).toBe('PH_WEB_CONFLICT');
    expect(await owner('watch-b')).toBe('ben');
    await web.refusals.settle();
    const audit = await store.audit.list({ limit: 50 });
    expect(audit.some((a) => a.action === 'access.denied' && a.actor === 'gw1' && a.actorKind === 'gateway' && JSON.stringify(a.details).includes('watch-b'))).toBe(true);
  });

  it("neither may an admin move a device to another user by registering it again", async () => {
    expect((await call(admin, 'POST', '/api/devices', { id: 'watch-b', userId: 'ana', kind: 'watch' })).status).toBe(409);
    expect(await owner('watch-b')).toBe('ben');
  });

  it('a gateway may not pair a device over a gateway (its own id or another)', async () => {
    expect((await call(gateway, 'POST', '/api/devices', { id: 'gw1', userId: 'ana', kind: 'strap' })).status).toBe(409);
    expect((await store.devices.get('gw1'))?.kind).toBe('gateway');
  });

  it('nor register a gateway over a personal device', async () => {
    expect((await call(admin, 'POST', '/api/gateways', { id: 'watch-b', users: ['ana'] })).status).toBe(409);
    expect(await owner('watch-b')).toBe('ben');
  });

  it('pairing its own user\'s device again is fine (idempotent)', async () => {
    expect((await call(gateway, 'POST', '/api/devices', { id: 'strap-a', userId: 'ana', kind: 'strap' })).status).toBe(201);
    expect((await call(gateway, 'POST', '/api/devices', { id: 'strap-a', userId: 'ana', kind: 'strap' })).status).toBe(201);
    expect(await owner('strap-a')).toBe('ana');
  });

  it('a revoked device stays revoked when re-paired or re-registered (403); only the explicit admin restore clears it', async () => {
    expect((await call(admin, 'DELETE', '/api/devices/strap-a')).status).toBe(200);
    expect((await call(gateway, 'POST', '/api/devices', { id: 'strap-a', userId: 'ana', kind: 'strap' })).status).toBe(403);
    expect((await call(admin, 'POST', '/api/devices', { id: 'strap-a', userId: 'ana', kind: 'strap' })).status).toBe(403);
    expect((await store.devices.get('strap-a'))?.revokedAt).not.toBeNull();
    expect((await call(gateway, 'POST', '/api/devices/strap-a/restore')).status).toBe(403);
    expect((await store.devices.get('strap-a'))?.revokedAt).not.toBeNull();
    const restored = await call(admin, 'POST', '/api/devices/strap-a/restore');
    expect(restored.status).toBe(200);
    expect((await store.devices.get('strap-a'))?.revokedAt).toBeNull();
    expect((await call(gateway, 'POST', '/api/devices', { id: 'strap-a', userId: 'ana', kind: 'strap' })).status).toBe(201);
    const audit = await store.audit.list({ limit: 50 });
    expect(audit.some((a) => a.action === 'device.restore' && a.target === 'strap-a')).toBe(true);
  });

  it('a revoked gateway is not restored by registering it again', async () => {
    expect((await call(admin, 'POST', '/api/gateways', { id: 'gw2', users: ['ben'] })).status).toBe(201);
    expect((await call(admin, 'DELETE', '/api/devices/gw2')).status).toBe(200);
    expect((await call(admin, 'POST', '/api/gateways', { id: 'gw2', users: ['ben'] })).status).toBe(403);
    expect((await store.devices.get('gw2'))?.revokedAt).not.toBeNull();
  });
});
