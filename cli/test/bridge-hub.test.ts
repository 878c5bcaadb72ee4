import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { eventsTopic } from '@pulsehub/contracts';
import { connectDevice, PrivateMosquitto, startTestHub, waitFor, type TestHub } from '@pulsehub/testkit';

// Issue 14 §3 through a running hub: consent with the REST route (purpose `bridge`), readings a
// device publishes reach the external broker (a private Mosquitto this test stops and restarts)
// as Home Assistant states, and /metrics shows the bridge's backlog while that broker is down.

describe('the Home Assistant bridge in a running hub', () => {
  let broker: PrivateMosquitto;
  let t: TestHub;
  let sub: MqttClient;
  let watch: MqttClient;
  const prefix = `ph-hub-${randomBytes(4).toString('hex')}`;
  const states: { value: number; at: string }[] = [];

  beforeAll(async () => {
    broker = new PrivateMosquitto();
    await broker.start();
    t = await startTestHub('postgres', { PULSEHUB_BRIDGE_URL: broker.url, PULSEHUB_BRIDGE_PREFIX: prefix });
    await t.hub.store.users.upsert({ id: 'ana', name: 'Ana' });
    sub = await mqtt.connectAsync(broker.url, { clientId: `sub-${prefix}`, clean: false, reconnectPeriod: 200 });
    sub.on('message', (topic, payload) => {
      if (topic === `${prefix}/ana/heart_rate`) states.push(JSON.parse(payload.toString()) as { value: number; at: string });
    });
    await sub.subscribeAsync(`${prefix}/ana/#`, { qos: 1 });
    watch = await connectDevice(t.hub, 'watch-ana', await t.hub.mint({ subject: 'watch-ana', kind: 'device', users: ['ana'] }));
  }, 90_000);
  afterAll(async () => {
    await watch?.endAsync();
    await sub?.endAsync();
    await t?.close();
    await broker?.destroy();
  });

  const metrics = async () => (await t.hub.web.app.inject({ method: 'GET', url: '/metrics' })).body;
  const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
  const send = (i: number) => watch.publishAsync(eventsTopic('ana'), JSON.stringify({ id: `hr-${i}`, metric: 'heart_rate', at: new Date(Date.parse('2026-11-03T07:00:00Z') + i * 1000).toISOString(), values: { bpm: 60 + (i % 100) } }), { qos: 1 });

  it('an athlete consents over REST; states follow; the backlog shows on /metrics while the broker is down; nothing is lost', async () => {
    const ana = await t.hub.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 });
    const res = await t.hub.web.app.inject({ method: 'PUT', url: '/api/users/ana/sharing-consents/bridge', headers: { authorization: `Bearer ${ana}` } });
    expect(res.json()).toMatchObject({ consent: { userId: 'ana', purpose: 'bridge', revokedAt: null } });
    await waitFor(async () => (await t.hub.store.bridge.list()).some((r) => r.userId === 'ana'), { what: 'the bridge follows ana' });

    for (let i = 0; i < 20; i++) await send(i);
    await waitFor(() => states.length >= 20, { what: '20 states on the external broker' });
    expect(metric(await metrics(), 'pulsehub_bridge_connected')).toBe(1);

    await broker.stop();
    for (let i = 20; i < 60; i++) await send(i);
    await waitFor(async () => metric(await metrics(), 'pulsehub_bridge_backlog') >= 40, { what: 'a backlog of 40 on /metrics' });
    expect(metric(await metrics(), 'pulsehub_bridge_connected')).toBe(0);

    await broker.start();
    await waitFor(() => new Set(states.map((s) => s.at)).size === 60, { timeout: 30_000, what: 'all 60 states' });
    await waitFor(async () => metric(await metrics(), 'pulsehub_bridge_backlog') === 0, { what: 'the backlog drained' });
    expect(metric(await metrics(), 'pulsehub_bridge_dropped_total')).toBe(0);
    expect(metric(await metrics(), 'pulsehub_bridge_published_total')).toBeGreaterThanOrEqual(60);
  }, 90_000);
});
