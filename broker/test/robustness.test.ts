import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import { createBroker, type PulseHubBroker } from '@pulsehub/broker';
import { as, collect, connect, sleep, tokens } from './helpers.js';

let broker: PulseHubBroker;
let port: number;

beforeAll(async () => {
  broker = await createBroker({ tokens, maxPacketSize: 64 * 1024, maxTopicLevels: 16, drainTimeoutMs: 500, keepaliveMaxSec: 600, rateLimits: { watch: { rate: 100, burst: 5 } }, deviceInfo: async (id) => (id.startsWith('rl-') ? { kind: 'watch', revoked: false } : undefined) });
  ({ port } = await broker.listen({ port: 0 }));
});
afterAll(async () => broker?.close());

interface Raw {
  socket: Socket;
  closed: Promise<void>;
}

/** A raw TCP connection; `closed` resolves when the broker closes it. */
async function raw(): Promise<Raw> {
  const socket = netConnect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, closed };
}

/** A raw connection that sent an authenticated CONNECT and read its CONNACK. */
async function rawConnected(kind: 'admin' | 'service' = 'admin', subject = `raw-${Math.random().toString(36).slice(2, 8)}`): Promise<Raw> {
  const r = await raw();
  const { token } = await tokens.mint({ subject, kind });
  const connack = new Promise<number>((resolve) => {
    const p = mqttPacket.parser({ protocolVersion: 4 });
    p.once('packet', (pk: { returnCode?: number }) => resolve(pk.returnCode ?? -1));
    r.socket.once('data', (d) => p.parse(d));
  });
  r.socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: subject, clean: true, keepalive: 30, username: subject, password: Buffer.from(token) }));
  expect(await connack).toBe(0);
  return r;
}

function publishBytes(topic: Buffer, payload: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, payload]);
  const len: number[] = [];
  let n = body.length;
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    len.push(b);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x30, ...len]), body]);
}

describe('malformed and hostile input closes only that connection [MQTT-4.8.0-1]', () => {
  let neighbour: MqttClient;
  let consumer: MqttClient;
  let sent = 0;
  let stop = false;
  let pumping: Promise<void>;
  const received: string[] = [];

  beforeAll(async () => {
    consumer = await as(port, 'service', 'consumer');
    await consumer.subscribeAsync('users/ana/events/+', { qos: 1 });
    consumer.on('message', (_t, payload) => received.push(payload.toString()));
    neighbour = await as(port, 'device', 'neighbour', ['ana']);
    pumping = (async () => {
      while (!stop) {
        await neighbour.publishAsync('users/ana/events', String(sent), { qos: 1 });
        sent++;
        await sleep(5);
      }
    })();
  });

  it.each([
    ['an oversized packet (header says 10 MB)', async (r: Raw) => r.socket.write(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x05, 0x00, 0x01, 0x61]))],
    ['a 10,000-level topic', async (r: Raw) => r.socket.write(publishBytes(Buffer.from('a/'.repeat(9_999) + 'a'), Buffer.from('x')))],
    ['an invalid UTF-8 topic [MQTT-1.5.3-1]', async (r: Raw) => r.socket.write(publishBytes(Buffer.from([0x75, 0x2f, 0xff, 0xfe]), Buffer.from('x')))],
    ['a second CONNECT [MQTT-3.1.0-2]', async (r: Raw) => r.socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'again', clean: true, keepalive: 30 }))],
  ])('after CONNECT: %s', async (_name, send) => {
    const r = await rawConnected();
    await send(r);
    await r.closed;
    expect(neighbour.connected).toBe(true);
  });

  it.each([
    ['a non-CONNECT first packet [MQTT-3.1.0-1]', Buffer.from([0xc0, 0x00])],
    ['garbage bytes', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    ['an oversized CONNECT', Buffer.concat([Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f]), Buffer.alloc(1024)])],
  ])('before CONNECT: %s', async (_name, bytes) => {
    const r = await raw();
    r.socket.write(bytes);
    await r.closed;
    expect(neighbour.connected).toBe(true);
  });

  it("the neighbour's messages all arrived through it all", async () => {
    stop = true;
    await pumping;
    await sleep(100);
    expect(neighbour.connected).toBe(true);
    expect(sent).toBeGreaterThan(0);
    expect(received).toEqual(Array.from({ length: sent }, (_, i) => String(i)));
    await neighbour.endAsync();
    await consumer.endAsync();
  });
});

describe('limits', () => {
  it('refuses a keepalive outside the bounds with CONNACK 2 like Mosquitto, not 6', async () => {
    const { token } = await tokens.mint({ subject: 'ka', kind: 'device', users: ['ana'] });
    for (const [keepalive, want] of [[601, 2], [0, 2], [60, 0]] as const) {
      const { code, client } = await connect(port, { username: 'ka', password: token, keepalive });
      expect(code).toBe(want);
      client.end(true);
    }
  });

  it('answers CONNACK 3 beyond the maximum number of connections', async () => {
    const small = await createBroker({ tokens, maxConnections: 2 });
    const { port: p } = await small.listen({ port: 0 });
    const a = await as(p, 'device', 'm1', ['ana']);
    const b = await as(p, 'device', 'm2', ['ana']);
    const { token } = await tokens.mint({ subject: 'm3', kind: 'device', users: ['ana'] });
    const third = await connect(p, { username: 'm3', password: token });
    expect(third.code).toBe(3);
    third.client.end(true);
    await a.endAsync();
    await b.endAsync();
    await small.close();
  });

  it('throttles a publisher over its rate (token bucket per device kind) without losing messages', async () => {
    const consumer = await as(port, 'service', 'rl-consumer');
    await consumer.subscribeAsync('users/rl/events/+', { qos: 1 });
    const got = collect(consumer, 30);
    const w = await as(port, 'device', 'rl-watch', ['rl']);
    await Promise.all(Array.from({ length: 30 }, (_, i) => w.publishAsync('users/rl/events', String(i), { qos: 1 })));
    expect(await got).toHaveLength(30);
    const text = await broker.metrics.render();
    const limited = Number(/pulsehub_mqtt_rate_limited_total (\d+)/.exec(text)?.[1]);
    expect(limited).toBeGreaterThanOrEqual(20);
    await w.endAsync();
    await consumer.endAsync();
  });

  it('a subscriber that never reads is dropped after the drain timeout; a healthy one gets everything', async () => {
    const frozen = await rawConnected('admin', 'frozen');
    frozen.socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'bulk/#', qos: 0 }] }));
    await sleep(50);
    frozen.socket.pause();
    const healthy = await as(port, 'admin', 'healthy');
    await healthy.subscribeAsync('bulk/#', { qos: 0 });
    const n = 300;
    const got = collect(healthy, n);
    const pub = await as(port, 'admin', 'bulk-pub');
    const payload = Buffer.alloc(60 * 1024, 0x61);
    for (let i = 0; i < n; i++) await pub.publishAsync('bulk/x', payload, { qos: 1 });
    expect(await got).toHaveLength(n);
    // The frozen client never reads its socket, so it would not notice the close: ask the broker.
    while (broker.principalOf('frozen') !== undefined) await sleep(50);
    frozen.socket.destroy();
    expect(await broker.metrics.render()).toMatch(/pulsehub_mqtt_messages_dropped_total\{reason="slow_subscriber"\} [1-9]/);
    await pub.endAsync();
    await healthy.endAsync();
  });
});
