import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { connectDevice, LiveClient, startTestHub, waitFor, type TestHub, launchChromium } from '@pulsehub/testkit';

/**
 * A family's shared scale through the whole hub (gateway → broker → ingest → Postgres → REST):
 * the hub's binding of the scale decides the candidates, their recent weights come from the
 * database, a guest waits as a pending reading that only a bound athlete or an admin assigns.
 * And FTP on the profile giving power zones on /live.
 */
const DAY = 86_400_000;
const SCALE = 'ble-famscale01';
const SCALE2 = 'ble-famscale02';

describe('shared scale and FTP on a hub (Postgres)', () => {
  let t: TestHub;
  let admin: string;
  let gw: MqttClient;
  const tokens: Record<string, string> = {};
  let seq = 0;

  const api = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${t.hub.http.url}${path}`, { ...init, headers: { authorization: `Bearer ${init.token ?? admin}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
  const json = async <T>(res: Response | Promise<Response>): Promise<T> => (await (await res).json()) as T;

  /** A weigh-in as the BLE gateway sends it (a body-composition scale when an impedance is given). */
  const weighIn = async (topicUser: string, scale: string, kg: number, impedanceOhm?: number): Promise<string> => {
    const id = `${scale}-w${++seq}`;
    const at = new Date(Date.now() - 60_000).toISOString();
    const reading = impedanceOhm === undefined ? { kind: 'weight', kg, displayUnit: 'kg' } : { kind: 'body_composition', weightKg: kg, impedanceOhm, displayUnit: 'kg' };
    const payload = { format: 'ble.v1', id, gatewayId: 'gw-home', deviceId: scale, address: 'aa:bb:cc:dd:ee:01', source: impedanceOhm === undefined ? '2a9d' : 'mi_body_scale', seq, measuredAt: at, receivedAt: at, clockUnset: false, reading };
    await gw.publishAsync(`users/${topicUser}/events`, JSON.stringify(payload), { qos: 1 });
    return id;
  };

  /** Past weigh-ins straight into the store (what the hub already knows about each person). */
  const history = async (userId: string, points: [daysAgo: number, kg: number][]) => {
    const events: CanonicalEvent[] = points.map(([daysAgo, kg], i) => {
      const at = new Date(Date.now() - daysAgo * DAY).toISOString();
      return { id: `seed-${userId}-${i}`, userId, deviceId: 'old-scale', metric: 'body_weight', time: { at }, values: { kg: { value: kg, unit: 'kg' } }, source: { adapter: 'pulsehub.v1', receivedAt: at } };
    });
    await t.hub.store.observations.commitBatch({ events, users: [userId] });
  };

  const weights = async (userId: string): Promise<number[]> => {
    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const r = await json<{ events: CanonicalEvent[] }>(api(`/api/users/${userId}/observations?metric=body_weight&from=${from}&to=${to}`));
    return r.events.map((e) => e.values.kg!.value);
  };

  beforeAll(async () => {
    t = await startTestHub('postgres');
    admin = await t.hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 });
    for (const u of ['ana', 'ben', 'dan', 'eve', 'zoe']) {
      await api('/api/users', { method: 'POST', body: JSON.stringify({ id: u, name: u }) });
      tokens[u] = await t.hub.mint({ subject: u, kind: 'athlete', users: [u], ttlSeconds: 600 });
    }
    tokens.coach = await t.hub.mint({ subject: 'coach-kim', kind: 'coach', ttlSeconds: 600 });
    const reg = await json<{ mqtt: { password: string } }>(api('/api/gateways', { method: 'POST', body: JSON.stringify({ id: 'gw-home', users: ['ana', 'ben', 'dan', 'eve'] }) }));
    expect((await api('/api/shared-scales', { method: 'POST', body: JSON.stringify({ id: SCALE, users: ['ana', 'ben'] }) })).status).toBe(201);
    expect((await api('/api/shared-scales', { method: 'POST', body: JSON.stringify({ id: SCALE2, users: ['dan', 'eve'] }) })).status).toBe(201);
    await history('ana', [[10, 70.2], [3, 70.0]]);
    await history('ben', [[9, 73.1], [2, 73.0]]);
    // dan loses 0.8 kg a week and last weighed himself three weeks ago; eve is steady
    await history('dan', [[63, 90.6], [56, 89.8], [49, 89.0], [42, 88.2], [35, 87.4], [28, 86.6], [21, 85.8]]);
    await history('eve', [[14, 62.0], [7, 62.1]]);
    gw = await connectDevice(t.hub, 'gw-home', reg.mqtt.password);
  });
  afterAll(async () => {
    await gw?.endAsync();
    await t?.close();
  });

  it('registers the scale with its users in the device registry', async () => {
    const { device } = await json<{ device: { kind: string; users: string[] } }>(api(`/api/devices/${SCALE}`));
    expect(device).toMatchObject({ kind: 'shared_scale', users: ['ana', 'ben'] });
  });

  it('attributes two people 3 kg apart each to themselves, whatever user the gateway published under', async () => {
    await weighIn('ana', SCALE, 70.3);
    await weighIn('ana', SCALE, 72.8);
    expect(await waitFor(async () => ((await weights('ana')).length === 1 ? weights('ana') : undefined), { timeout: 5000, what: "ana's weigh-in" })).toEqual([70.3]);
    expect(await waitFor(async () => ((await weights('ben')).length === 1 ? weights('ben') : undefined), { timeout: 5000, what: "ben's weigh-in" })).toEqual([72.8]);
  });

  it('follows a steady loss over weeks (the trend, not the last weigh-in three weeks ago)', async () => {
    await weighIn('eve', SCALE2, 83.3);
    expect(await waitFor(async () => ((await weights('dan')).length === 1 ? weights('dan') : undefined), { timeout: 5000, what: "dan's weigh-in" })).toEqual([83.3]);
  });

  it('refuses a shared-scale weigh-in published for a user the scale is not bound to', async () => {
    await weighIn('ana', SCALE2, 62.0);
    const dead = await waitFor(async () => (await t.hub.store.deadLetters.list({ reason: 'PH_INGEST_USER_MISMATCH' })).find((d) => d.detail.includes(SCALE2)), { timeout: 5000, what: 'the dead letter' });
    expect(dead.detail).toContain('not bound to user ana');
    expect(await weights('eve')).toEqual([]);
  });

  it('keeps a guest pending (never a fact); only a bound athlete for themselves or an admin assigns it', async () => {
    const id = await weighIn('ben', SCALE, 95.2, 480);
    type Pending = { pending: { id: string; kg: number; impedanceOhm: number; reason: string; candidates: string[] }[] };
    const listed = await waitFor(async () => (await json<Pending>(api('/api/pending-readings'))).pending.find((p) => p.id === id), { timeout: 5000, what: 'the pending reading' });
    expect(listed).toMatchObject({ kg: 95.2, impedanceOhm: 480, reason: 'unknown', candidates: ['ana', 'ben'] });
    expect((await json<Pending>(api('/api/users/ben/pending-readings', { token: tokens.ben! }))).pending.map((p) => p.id)).toEqual([id]);
    expect((await api('/api/users/ana/pending-readings', { token: tokens.ben! })).status).toBe(403);
    expect(await weights('ana')).toEqual([70.3]);
    expect(await weights('ben')).toEqual([72.8]);

    const assign = (userId: string, token: string) => api(`/api/pending-readings/${id}/assign`, { method: 'POST', token, body: JSON.stringify({ userId }) });
    expect((await assign('ben', tokens.coach!)).status).toBe(403);
    expect((await assign('ben', tokens.ana!)).status).toBe(403); // ana may take it for herself, not give it to ben
    expect((await assign('zoe', tokens.zoe!)).status).toBe(403); // zoe does not use this scale
    const ok = await assign('ben', tokens.ben!);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ userId: 'ben', stored: 2 }); // weight and body composition
    expect((await assign('ben', tokens.ben!)).status).toBe(409);
    expect((await weights('ben')).sort()).toEqual([72.8, 95.2]);
    const comp = await json<{ events: CanonicalEvent[] }>(api(`/api/users/ben/observations/latest?metric=body_composition`));
    expect(comp.events[0]?.values.impedance?.value).toBe(480);
    expect((await json<Pending>(api('/api/pending-readings'))).pending).toEqual([]);

    const { audit } = await json<{ audit: { action: string; target: string; actor: string }[] }>(api('/api/admin/audit'));
    expect(audit.find((e) => e.action === 'pending.assign')).toMatchObject({ target: id, actor: 'ben' });
  });

  it('lets a bound athlete discard a pending weigh-in', async () => {
    const id = await weighIn('ana', SCALE, 40.1);
    await waitFor(async () => (await json<{ pending: { id: string }[] }>(api('/api/pending-readings'))).pending.some((p) => p.id === id), { timeout: 5000, what: 'the pending reading' });
    expect((await api(`/api/pending-readings/${id}`, { method: 'DELETE', token: tokens.zoe! })).status).toBe(403);
    expect((await api(`/api/pending-readings/${id}`, { method: 'DELETE', token: tokens.ana! })).status).toBe(204);
    expect((await json<{ pending: unknown[] }>(api('/api/users/ana/pending-readings', { token: tokens.ana! }))).pending).toEqual([]);
  });

  it('shows a pending weigh-in on the admin page and lets the athlete take it on theirs (Chromium)', async () => {
    const id = await weighIn('ana', SCALE, 88.8);
    await waitFor(async () => (await json<{ pending: { id: string }[] }>(api('/api/pending-readings'))).pending.some((p) => p.id === id), { timeout: 5000, what: 'the pending reading' });
    await using browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(`${t.hub.http.url}/admin.html?token=${admin}`);
    const adminRow = page.locator(`#pending-weighins li[data-id="${id}"]`);
    await adminRow.waitFor();
    expect(await adminRow.locator('select option').allTextContents()).toEqual(['ana', 'ben']);
    await page.goto(`${t.hub.http.url}/athlete.html?token=${tokens.ana!}`);
    const row = page.locator(`#pending-weighins li[data-id="${id}"]`);
    await row.getByRole('button', { name: "It's me" }).click();
    await page.locator('#pending-weighins').waitFor({ state: 'hidden' });
    expect(await weights('ana')).toContain(88.8);
    // the same page sets her FTP
    await page.locator('#ftp-watts').fill('231');
    await page.locator('#ftp-form button').click();
    await page.getByText('saved: 231 W').waitFor();
    expect((await json<{ profile: { ftpWatts: number } }>(api('/api/users/ana/profile'))).profile.ftpWatts).toBe(231);
  });

  it('sets FTP on the profile (50-700 W, own or admin) and streams power zones on /live', async () => {
    const patch = (user: string, token: string, ftpWatts: unknown) => api(`/api/users/${user}/profile`, { method: 'PATCH', token, body: JSON.stringify({ ftpWatts }) });
    expect((await patch('ana', tokens.ana!, 40)).status).toBe(400);
    expect((await patch('ana', tokens.ana!, 701)).status).toBe(400);
    expect((await patch('ana', tokens.ben!, 250)).status).toBe(403);
    expect((await patch('ana', tokens.coach!, 250)).status).toBe(403);
    const ok = await patch('ana', tokens.ana!, 250);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ profile: { id: 'ana', ftpWatts: 250 } });

    const live = await LiveClient.open(t.hub, admin);
    live.send({ type: 'subscribe', athletes: ['ana'] });
    const snap = await live.next('snapshot');
    expect(snap.profile?.ftpWatts).toBe(250);
    const at = new Date().toISOString();
    const ride = { format: 'ble.v1', id: 'pm-1', gatewayId: 'gw-home', deviceId: 'ble-powermeter1', address: 'aa:bb:cc:dd:ee:02', source: '2a63', seq: 1, measuredAt: at, receivedAt: at, clockUnset: false, reading: { kind: 'cycling_power', powerW: 300, offsetCompensation: false } };
    await gw.publishAsync('users/ana/events', JSON.stringify(ride), { qos: 1 });
    const frame = await live.next('event', (m) => m.event.metric === 'cycling');
    expect(frame.power).toEqual({ ftp: 250, pctFtp: 120, zone: 5 });
    live.close();
  });

  it("leaves a scale that is not registered as shared alone: its weigh-in is the topic user's", async () => {
    await weighIn('eve', 'ble-evescale01', 61.4);
    expect(await waitFor(async () => ((await weights('eve')).length === 1 ? weights('eve') : undefined), { timeout: 5000, what: "eve's own weigh-in" })).toEqual([61.4]);
  });
});
