import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@pulsehub/testkit';
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { createBroker, SUBACK_FAILURE, type PulseHubBroker } from '@pulsehub/broker';
import { as, sleep, subackCodes, tokens } from './helpers.js';
import { aedesOf } from '../src/broker.js';
import { clientsOf, persistenceOf, subscriptionsOf } from '../src/aedes-internals.js';

/**
 * Issue 11, defect 6: one device made 100,000 subscriptions in 0.8 s (RSS 359 → 591 MB).
 * Filters beyond maxFiltersPerSubscribe (per packet) and maxSubscriptionsPerSession get
 * SUBACK 0x80; the connection stays.
 */
let broker: PulseHubBroker;
let port: number;

beforeAll(async () => {
  // The defaults: 64 filters per SUBSCRIBE, 256 per session, topics up to 512 bytes.
  broker = await createBroker({ tokens });
  ({ port } = await broker.listen({ port: 0 }));
});
afterAll(async () => broker?.close());

/** How many filters the broker holds for a connected client. */
const heldBy = (clientId: string): number => {
  const c = clientsOf(aedesOf(broker))[clientId];
  return c ? Object.keys(subscriptionsOf(c)).length : -1;
};

interface RawSubscriber {
  socket: Socket;
  /** Granted codes of every SUBACK so far, by packet id. */
  subacks: Map<number, number[]>;
  closed: () => boolean;
}

async function rawSubscriber(kind: 'admin' | 'device' | 'service', subject: string): Promise<RawSubscriber> {
  const { token } = await tokens.mint({ subject, kind, users: ['ana'] });
  const socket = netConnect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  let isClosed = false;
  socket.once('close', () => (isClosed = true));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const subacks = new Map<number, number[]>();
  const connack = new Promise<number>((resolve) => {
    parser.on('packet', (p: mqttPacket.Packet) => {
      if (p.cmd === 'connack') resolve(p.returnCode ?? -1);
      if (p.cmd === 'suback') subacks.set(p.messageId ?? -1, p.granted as number[]);
    });
  });
  socket.on('data', (d) => parser.parse(d));
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: subject, clean: true, keepalive: 0, username: subject, password: Buffer.from(token) }));
  expect(await connack).toBe(0);
  return { socket, subacks, closed: () => isClosed };
}

const subscribePacket = (messageId: number, topics: string[]): Buffer =>
  mqttPacket.generate({ cmd: 'subscribe', messageId, subscriptions: topics.map((topic) => ({ topic, qos: 0 as const })) });

describe('subscription limits (issue 11, defect 6)', () => {
  it('refuses the filters of one SUBSCRIBE beyond maxFiltersPerSubscribe with 0x80 and keeps the connection', async () => {
    const r = await rawSubscriber('admin', 'many-in-one');
    r.socket.write(subscribePacket(1, Array.from({ length: 100 }, (_, i) => `p/${i}`)));
    await waitFor(() => r.subacks.has(1), { timeout: 10_000 });
    const granted = r.subacks.get(1)!;
    expect(granted).toHaveLength(100);
    expect(granted.slice(0, 64).every((g) => g === 0)).toBe(true);
    expect(granted.slice(64).every((g) => g === SUBACK_FAILURE)).toBe(true);
    expect(heldBy('many-in-one')).toBe(64);
    // Still connected: a PINGREQ is answered.
    r.socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 2, subscriptions: [{ topic: 'p/next', qos: 0 }] }));
    await waitFor(() => r.subacks.has(2), { timeout: 10_000 });
    expect(r.subacks.get(2)).toEqual([0]);
    expect(r.closed()).toBe(false);
    r.socket.destroy();
  });

  it('100,000 subscriptions pipelined by one client are not possible: the session holds at most maxSubscriptionsPerSession', async () => {
    const r = await rawSubscriber('admin', 'flood');
    const packets = 1563; // 1563 × 64 ≥ 100,000 filters, all written before any SUBACK is read
    const chunks: Buffer[] = [];
    for (let p = 0; p < packets; p++) chunks.push(subscribePacket(p + 1, Array.from({ length: 64 }, (_, i) => `flood/${p}/${i}`)));
    r.socket.write(Buffer.concat(chunks));
    await waitFor(() => r.subacks.size === packets, { timeout: 25_000 });
    const granted = [...r.subacks.values()].flat();
    expect(granted).toHaveLength(packets * 64);
    expect(granted.filter((g) => g !== SUBACK_FAILURE)).toHaveLength(256);
    expect(heldBy('flood')).toBe(256);
    expect(r.closed()).toBe(false);
    r.socket.destroy();
  });

  it('a filter already held does not count again; an UNSUBSCRIBE frees room', async () => {
    const c = await as(port, 'admin', 'reuse', [], { clientId: 'reuse' });
    const all = Array.from({ length: 256 }, (_, i) => `r/${i}`);
    for (let i = 0; i < all.length; i += 64) await c.subscribeAsync(all.slice(i, i + 64), { qos: 0 });
    expect(heldBy('reuse')).toBe(256);
    expect(await subackCodes(c, 'r/new', 0)).toEqual([SUBACK_FAILURE]);
    // Re-subscribing to a held filter (e.g. to change its QoS) is still allowed.
    expect(await subackCodes(c, 'r/3', 1)).toEqual([1]);
    await c.unsubscribeAsync(['r/0', 'r/1']);
    expect(await subackCodes(c, 'r/new', 0)).toEqual([0]);
    expect(await subackCodes(c, 'r/new2', 0)).toEqual([0]);
    expect(await subackCodes(c, 'r/new3', 0)).toEqual([SUBACK_FAILURE]);
    expect(c.connected).toBe(true);
    await c.endAsync();
  });

  it('a persistent session stores only the filters it was granted: its restore stays within the limit', async () => {
    const opts = { clientId: 'keeper', clean: false };
    const c = await as(port, 'admin', 'keeper', [], opts);
    // 4 × 62 granted, then a packet of 64 of which 8 are granted: aedes stores a packet's
    // whole filter list when any of it is granted (mqtt.js rejects a SUBACK holding 0x80).
    for (let i = 0; i < 248; i += 62) await c.subscribeAsync(Array.from({ length: 62 }, (_, j) => `k/${i + j}`), { qos: 0 });
    await c.subscribeAsync(Array.from({ length: 64 }, (_, j) => `k/${248 + j}`), { qos: 0 }).catch(() => undefined);
    expect(heldBy('keeper')).toBe(256);
    const persistence = persistenceOf<{ subscriptionsByClient(c: { id: string }): Promise<unknown[]> }>(aedesOf(broker));
    expect(await persistence.subscriptionsByClient({ id: 'keeper' })).toHaveLength(256);
    await c.endAsync();
    const again = await as(port, 'admin', 'keeper', [], opts);
    await waitFor(() => heldBy('keeper') === 256, { timeout: 10_000 });
    await sleep(100);
    expect(heldBy('keeper')).toBe(256);
    expect(await subackCodes(again, 'k/more', 0)).toEqual([SUBACK_FAILURE]);
    await again.endAsync();
  });

  it('service sessions (the hub\'s own ingest and web roles) are not bound by the per-session limit', async () => {
    const c = await as(port, 'service', 'svc', [], { clientId: 'svc' });
    for (let i = 0; i < 300; i += 50) await c.subscribeAsync(Array.from({ length: 50 }, (_, j) => `users/u${i + j}/events/+`), { qos: 0 });
    expect(heldBy('svc')).toBe(300);
    await c.endAsync();
  });

  it('refuses a topic filter longer than maxTopicLength with 0x80; a longer PUBLISH topic closes that connection', async () => {
    const c = await as(port, 'admin', 'long');
    expect(await subackCodes(c, `l/${'x'.repeat(600)}`, 0)).toEqual([SUBACK_FAILURE]);
    expect(await subackCodes(c, `l/${'x'.repeat(500)}`, 0)).toEqual([0]);
    expect(c.connected).toBe(true);
    const closed = new Promise<void>((r) => c.once('close', () => r()));
    c.publish(`l/${'x'.repeat(600)}`, 'x', { qos: 0 });
    await closed;
    c.end(true);
  });

  it('rejects limits that are not positive integers', async () => {
    await expect(createBroker({ tokens, maxSubscriptionsPerSession: 0 })).rejects.toThrow(/PH_CONFIG_INVALID|maxSubscriptionsPerSession/);
  });
});
