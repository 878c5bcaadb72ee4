import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { eventsTopic, TOPICS } from '@pulsehub/contracts';
import { connectDevice, LiveClient, startTestHub, type TestHub } from '@pulsehub/testkit';

// `pulsehub start` on one node: the intake hands each live event to the LiveHub in the same
// process (no MQTT hop, no parse); the live topic is still published for MQTT subscribers,
// and the web role's own MQTT client is not one of them.
describe('pulsehub start: the live path without the MQTT hop', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub('postgres');
    await t.hub.store.users.upsert({ id: 'ana', name: 'Ana Souza' });
    await t.hub.store.consents.grant('ana', 'coach-1');
  });
  afterAll(async () => t?.close());

  it('delivers a reading to a coach with no web MQTT client on the broker, and still on the live topic over MQTT', async () => {
    const { hub } = t;
    // The web role's one MQTT connection carries alerts only (events and goal frames come in-process).
    expect(hub.broker.connectedClients).toBe(1);

    const live = await LiveClient.open(hub, await hub.mint({ subject: 'coach-1', kind: 'coach', ttlSeconds: 600 }));
    await live.next('ready');
    live.send({ type: 'subscribe', athletes: ['ana'] });
    await live.next('snapshot', (m) => m.athlete === 'ana');

    const admin = mqtt.connect({ host: hub.mqtt.host, port: hub.mqtt.port, username: 'root', password: await hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 }), clientId: 'root-live', reconnectPeriod: 0 });
    await new Promise<void>((resolve, reject) => (admin.once('connect', () => resolve()), admin.once('error', reject)));
    await admin.subscribeAsync(TOPICS.liveFilter, { qos: 0 });
    const overMqtt = new Promise<{ topic: string; body: { id: string; userId: string } }>((resolve) => admin.on('message', (topic, payload) => resolve({ topic, body: JSON.parse(payload.toString()) as { id: string; userId: string } })));

    const watch = await connectDevice(hub, 'watch-ana', await hub.mint({ subject: 'watch-ana', kind: 'device', users: ['ana'] }));
    expect(hub.broker.connectedClients).toBe(3); // the admin, the watch and the web role's alert subscription
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 'ana-direct-1', metric: 'heart_rate', at: '2026-11-22T10:00:00.000Z', values: { bpm: 131 } }), { qos: 1 });

    const got = await live.next('event', (m) => m.event.id === 'ana-direct-1');
    expect(got.event).toMatchObject({ userId: 'ana', deviceId: 'watch-ana', metric: 'heart_rate', values: { bpm: { value: 131, unit: '/min' } } });
    const m = await overMqtt;
    expect(m.topic).toBe('live/users/ana');
    expect(m.body).toMatchObject({ id: 'ana-direct-1', userId: 'ana' });
    // Delivered once, not once per path.
    expect(live.messages.filter((x) => x.type === 'event' && x.event.id === 'ana-direct-1')).toHaveLength(1);
    expect(hub.web.hub.received).toBe(1);
    // The broker sent the reading to the admin, and not to the web role's client.
    expect(hub.web.hub.mqttMessages).toBe(0);

    await watch.endAsync();
    await admin.endAsync();
    live.close();
  });
});
