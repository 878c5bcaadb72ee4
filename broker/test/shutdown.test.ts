import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import type { IPublishPacket } from 'mqtt-packet';
import { createBroker, createClusterBackends } from '@pulsehub/broker';
import { as, closed, silentSubscriber, sleep, tokens } from './helpers.js';

// Graceful shutdown: close() stops accepting, lets in-flight QoS 1 reach subscribers within
// shutdownGraceMs, then closes. What a subscriber had not acknowledged stays in its session
// for re-delivery (with Redis persistence, on another node).

const GRACE_MS = 1500;

/** Resolves 'closed' when close() finished, 'overdue' if it is still running well past its bound. */
function closeWithin(close: Promise<void>, ms: number): Promise<'closed' | 'overdue'> {
  return Promise.race([close.then(() => 'closed' as const), sleep(ms).then(() => 'overdue' as const)]);
}

describe('graceful shutdown', () => {
  it('delivers every QoS 1 message it acknowledged before closing, mid-stream', async () => {
    const broker = await createBroker({ tokens, rateLimits: false, sysIntervalMs: 0, shutdownGraceMs: GRACE_MS });
    const { port } = await broker.listen({ port: 0 });
    const sub = await as(port, 'service', 'sd-sub');
    await sub.subscribeAsync('users/+/events/+', { qos: 1 });
    const got = new Set<string>();
    sub.on('message', (_t, p) => got.add(p.toString()));
    const subGone = closed(sub);
    const pub = await as(port, 'device', 'sd-w', ['ana']);
    const acked = new Set<string>();
    // 300 publishes in flight at once; close() starts after the first 100 PUBACKs.
    let startClose: () => void = () => undefined;
    const hundred = new Promise<void>((r) => (startClose = r));
    for (let i = 0; i < 300; i++) {
      pub.publish('users/ana/events', String(i), { qos: 1 }, (err) => {
        if (err) return;
        acked.add(String(i));
        if (acked.size === 100) startClose();
      });
    }
    await hundred;
    expect(await closeWithin(broker.close(), GRACE_MS + 3000)).toBe('closed');
    await subGone;
    expect(acked.size).toBeGreaterThanOrEqual(100);
    const missing = [...acked].filter((m) => !got.has(m));
    expect(missing).toEqual([]);
    pub.end(true);
  });

  it('finishes within its bound even when a subscriber never reads its socket', async () => {
    const broker = await createBroker({ tokens, rateLimits: false, sysIntervalMs: 0, shutdownGraceMs: GRACE_MS, drainTimeoutMs: 60_000 });
    const { port } = await broker.listen({ port: 0 });
    // A raw subscriber that stops reading after its SUBACK.
    const socket = netConnect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const { token } = await tokens.mint({ subject: 'sd-frozen', kind: 'service' });
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'sd-frozen', clean: true, keepalive: 0, username: 'sd-frozen', password: Buffer.from(token) }));
    socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'users/#', qos: 0 }] }));
    await new Promise<void>((r) => socket.once('data', () => r()));
    await sleep(50);
    socket.pause();
    const pub = await as(port, 'admin', 'sd-flood');
    const payload = Buffer.alloc(16 * 1024, 1);
    // Enough to fill the frozen subscriber's socket buffers several times over.
    for (let i = 0; i < 400; i++) pub.publish('users/z/events/x', payload, { qos: 0 });
    await sleep(300);
    expect(await closeWithin(broker.close(), GRACE_MS + 3000)).toBe('closed');
    pub.end(true);
    socket.destroy();
  });

  it('keeps what a subscriber had not acknowledged for re-delivery (DUP 1) by another node on the same Redis', async () => {
    const url = 'redis://127.0.0.1:6379';
    const keyPrefix = `ph-test-shutdown-${randomBytes(4).toString('hex')}:`;
    const backendsA = await createClusterBackends({ url, keyPrefix });
    const a = await createBroker({ id: 'sd-node-a', tokens, rateLimits: false, sysIntervalMs: 0, shutdownGraceMs: GRACE_MS, mq: backendsA.mq, persistence: backendsA.persistence });
    const { port: portA } = await a.listen({ port: 0 });
    // The subscriber receives but never acknowledges.
    const sub = await silentSubscriber(portA, 'service', 'sd-persist', 'users/+/events/+', false);
    const pub = await as(portA, 'device', 'sd-w2', ['bo']);
    for (let i = 0; i < 5; i++) await pub.publishAsync('users/bo/events', `m${i}`, { qos: 1 });
    while (sub.publishes.length < 5) await sleep(10);
    const first = sub.publishes.map((p) => p.payload);
    expect(sub.publishes.every((p) => !p.dup)).toBe(true);
    pub.end(true);
    expect(await closeWithin(a.close(), GRACE_MS + 3000)).toBe('closed');
    sub.drop();
    await backendsA.close();

    const backendsB = await createClusterBackends({ url, keyPrefix });
    const b = await createBroker({ id: 'sd-node-b', tokens, rateLimits: false, sysIntervalMs: 0, mq: backendsB.mq, persistence: backendsB.persistence });
    const { port: portB } = await b.listen({ port: 0 });
    const { token } = await tokens.mint({ subject: 'sd-persist', kind: 'service' });
    const again = await new Promise<IPublishPacket[]>((resolve, reject) => {
      const seen: IPublishPacket[] = [];
      // Listen before CONNACK: the stored messages follow it at once.
      const c = mqtt.connect({ port: portB, host: '127.0.0.1', username: 'sd-persist', password: token, clientId: 'sd-persist', clean: false, reconnectPeriod: 0 });
      c.on('packetreceive', (p) => {
        if (p.cmd !== 'publish') return;
        seen.push(p);
        if (seen.length === 5) {
          c.end(true);
          resolve(seen);
        }
      });
      c.once('error', reject);
    });
    expect(again.map((p) => p.payload.toString())).toEqual(first);
    expect(again.every((p) => p.dup)).toBe(true); // [MQTT-3.3.1-1]
    await b.close();
    await backendsB.close();
  });
});
