import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDevice, startTestHub, waitFor, type TestHub } from '@pulsehub/testkit';

describe('revoking a device through the REST API', () => {
  let t: TestHub;
  let admin: string;
  beforeAll(async () => {
    t = await startTestHub('postgres');
    admin = await t.hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 });
  });
  afterAll(async () => t?.close());

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${t.hub.http.url}${path}`, { ...init, headers: { authorization: `Bearer ${admin}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });

  it("records when a registered device was last heard from and its battery level, for the admin's device list", async () => {
    await api('/api/users', { method: 'POST', body: JSON.stringify({ id: 'ben', name: 'Ben' }) });
    const reg = (await (await api('/api/devices', { method: 'POST', body: JSON.stringify({ id: 'w-seen', userId: 'ben', kind: 'watch' }) })).json()) as { mqtt: { password: string } };
    const before = (await (await api('/api/devices/w-seen')).json()) as { device: { lastSeenAt: string | null; battery: number | null } };
    expect(before.device).toMatchObject({ lastSeenAt: null, battery: null });
    const watch = await connectDevice(t.hub, 'w-seen', reg.mqtt.password);
    await watch.publishAsync('users/ben/events', JSON.stringify({ metric: 'heart_rate', values: { bpm: 61 } }), { qos: 1 });
    await watch.publishAsync('users/ben/events', JSON.stringify({ metric: 'device_battery', values: { percent: 37 } }), { qos: 1 });
    await watch.endAsync();
    const after = await waitFor(async () => {
      const d = ((await (await api('/api/devices/w-seen')).json()) as { device: { lastSeenAt: string | null; battery: number | null } }).device;
      return d.battery === 37 && d.lastSeenAt !== null ? d : undefined;
    }, { timeout: 5000, what: 'last seen and battery on the device' });
    expect(Date.now() - Date.parse(after.lastSeenAt!)).toBeLessThan(60_000);
  });

  it('cuts a connected device within a second even when its token was never recorded, refuses it afterwards, and audits it', async () => {
    expect((await api('/api/users', { method: 'POST', body: JSON.stringify({ id: 'ana', name: 'Ana' }) })).status).toBe(201);
    expect((await api('/api/devices', { method: 'POST', body: JSON.stringify({ id: 'w-rev', userId: 'ana', kind: 'watch' }) })).status).toBe(201);
    // A token minted offline (like `pulsehub token device`), so no tokens row names its jti.
    const offline = (await t.hub.tokens.mint({ subject: 'w-rev', kind: 'device', users: ['ana'] })).token;
    const watch = await connectDevice(t.hub, 'w-rev', offline);
    const closedAt = new Promise<number>((r) => watch.once('close', () => r(Date.now())));

    const started = Date.now();
    const res = await api('/api/devices/w-rev', { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await closedAt).toBeLessThan(started + 1000);
    watch.end(true);

    const again = await connectDevice(t.hub, 'w-rev', offline).then(() => 'connected', (err: { code?: number }) => err.code);
    expect(again).toBe(4);

    const audit = (await (await api('/api/admin/audit')).json()) as { entries?: { action: string; target: string }[]; audit?: { action: string; target: string }[] };
    const entries = audit.entries ?? audit.audit ?? [];
    expect(entries.some((e) => e.action === 'device.revoke' && e.target === 'w-rev')).toBe(true);
  });
});
