import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createBroker, createClusterBackends, createRevocationBus, type ClusterBackends, type PulseHubBroker, type RevocationBus } from '@pulsehub/broker';
import type { MqttClient } from 'mqtt';
import { as, closed, collect, tokens } from './helpers.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
// A prefix of this file's own: other test files share the Redis.
const prefix = `ph-test-cluster-${randomBytes(4).toString('hex')}:`;
const nodes: { broker: PulseHubBroker; backends: ClusterBackends; port: number; bus: RevocationBus }[] = [];

beforeAll(async () => {
  for (const id of ['node-a', 'node-b']) {
    const backends = await createClusterBackends({ url: REDIS_URL, keyPrefix: prefix });
    const broker = await createBroker({ id, tokens, mq: backends.mq, persistence: backends.persistence });
    const { port } = await broker.listen({ port: 0 });
    const bus = await createRevocationBus({ redisUrl: REDIS_URL, channel: `${prefix}revocations` });
    bus.subscribe((e) => {
      if (e.type === 'token') broker.disconnectWhere((p) => p.jti === e.jti);
    });
    nodes.push({ broker, backends, port, bus });
  }
});
afterAll(async () => {
  for (const n of nodes) {
    await n.broker.close();
    await n.backends.close();
    await n.bus.close();
  }
});

describe('two broker nodes on one Redis', () => {
  it('delivers a publish on node A to a subscriber on node B', async () => {
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const sub = await as(b.port, 'service', 'ingest-b');
    await sub.subscribeAsync('users/+/events/+', { qos: 1 });
    const got = collect(sub, 3);
    const w = await as(a.port, 'device', 'w-a', ['ana']);
    for (let i = 0; i < 3; i++) await w.publishAsync('users/ana/events', String(i), { qos: 1 });
    expect(await got).toEqual(['users/ana/events/w-a', 'users/ana/events/w-a', 'users/ana/events/w-a']);
    await w.endAsync();
    await sub.endAsync();
  });

  it('a $share group with members on both nodes gets each message once cluster-wide (Redis claim)', async () => {
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const filter = '$share/cluster-g/users/sh/events/+';
    const got: string[] = [];
    const members = [await as(a.port, 'service', 'sh-a1'), await as(a.port, 'service', 'sh-a2'), await as(b.port, 'service', 'sh-b1')];
    const counts = members.map(() => 0);
    members.forEach((m, i) =>
      m.on('message', (_t, p) => {
        got.push(p.toString());
        counts[i]!++;
      }),
    );
    for (const m of members) await m.subscribeAsync(filter, { qos: 1 });
    // Publishers on both nodes: the node a message is published on sees it first and claims it.
    const wa = await as(a.port, 'device', 'w-sh-a', ['sh']);
    const wb = await as(b.port, 'device', 'w-sh-b', ['sh']);
    for (let i = 0; i < 30; i++) await (i % 2 === 0 ? wa : wb).publishAsync('users/sh/events', String(i), { qos: 1 });
    const deadline = Date.now() + 5000;
    while (got.length < 30 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300)); // room for any duplicate to show up
    expect(got.map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    // Which node wins a message is a race (in practice the one Redis serves first), so the
    // split between nodes is not asserted; that nothing is lost when the winner leaves is.
    const [m0, m1, mB] = members as [MqttClient, MqttClient, MqttClient];
    await mB.endAsync();
    got.length = 0;
    for (let i = 0; i < 10; i++) await (i % 2 === 0 ? wa : wb).publishAsync('users/sh/events', `late${i}`, { qos: 1 });
    const deadline2 = Date.now() + 5000;
    while (got.length < 10 && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    expect(got.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `late${i}`).sort());
    expect(counts[0]! + counts[1]! >= 10).toBe(true);
    await m0.endAsync();
    await m1.endAsync();
    await wa.endAsync();
    await wb.endAsync();
  });

  it('a revocation published on one node disconnects the client on the other', async () => {
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const { token, jti } = await tokens.mint({ subject: 'w-rev', kind: 'device', users: ['ana'] });
    const mqtt = await import('mqtt');
    const c = mqtt.connect({ port: b.port, host: '127.0.0.1', username: 'w-rev', password: token, reconnectPeriod: 0 });
    await new Promise<void>((r, j) => { c.once('connect', () => r()); c.once('error', j); });
    const gone = closed(c);
    await a.bus.publish({ type: 'token', jti });
    await gone;
    expect(c.connected).toBe(false);
  });
});
