import { afterAll, afterEach, beforeAll, describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { connect as netConnect, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { startTestHub, type TestHub } from '@pulsehub/testkit';

/**
 * Issue 11: a bounded property-based fuzz of the MQTT front door of the embedded hub (broker
 * with ingest inside, Postgres). Hostile and malformed packets, made with mqtt-packet and as
 * raw bytes, go to fresh raw sockets before and after an authenticated CONNECT. Properties:
 * a malformed packet closes its own connection; no other connection is disturbed (a
 * neighbour device stays connected throughout); after each batch a new device still
 * connects, publishes QoS 1, is acknowledged, and its reading is stored.
 *
 * FC_SEED fixes the seed (a constant by default, so CI replays the same inputs); FUZZ_RUNS
 * sets the runs per property (default 40, ~15 s in all; try FUZZ_RUNS=2000 for a long run).
 */
const FC_SEED = Number(process.env.FC_SEED ?? 20261124);
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const props = { seed: FC_SEED, numRuns: FUZZ_RUNS, endOnFailure: true };

let t: TestHub;
let hub: TestHub['hub'];
let port: number;
let neighbour: MqttClient;
let neighbourClosed = false;
let legit = 0;

beforeAll(async () => {
  t = await startTestHub('postgres');
  hub = t.hub;
  port = hub.mqtt.port;
  neighbour = await device('neighbour', 'fuzz-n');
  neighbour.on('close', () => (neighbourClosed = true));
});
afterAll(async () => {
  await neighbour?.endAsync();
  await t?.close();
});

async function device(id: string, user: string): Promise<MqttClient> {
  const token = await hub.mint({ subject: id, kind: 'device', users: [user] });
  const c = mqtt.connect({ host: '127.0.0.1', port, username: id, password: token, clientId: id, reconnectPeriod: 0, connectTimeout: 5000 });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

// After each property (a batch of runs): the neighbour never noticed, and a new device
// connects, publishes QoS 1, is acknowledged, and its reading is in the database.
afterEach(async () => {
  expect(neighbourClosed).toBe(false);
  await neighbour.publishAsync('users/fuzz-n/events', JSON.stringify({ metric: 'heart_rate', values: { bpm: 70 } }), { qos: 1 });
  const id = `legit-${legit++}`;
  const c = await device(id, 'fuzz-legit');
  await c.publishAsync('users/fuzz-legit/events', JSON.stringify({ id: `${id}-r`, metric: 'heart_rate', at: new Date().toISOString(), values: { bpm: 72 } }), { qos: 1 });
  await c.endAsync();
  const stored = await hub.store.history.range({ userId: 'fuzz-legit', metric: 'heart_rate', from: new Date(0), to: new Date('2100-01-01'), limit: 10_000 });
  expect(stored.map((e) => e.id)).toContain(`${id}-r`);
});

// ---------------------------------------------------------------- raw packet building

const varint = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
};
const packet = (first: number, body: Buffer | Uint8Array, declared = body.length): Buffer => Buffer.concat([Buffer.from([first, ...varint(declared)]), Buffer.from(body)]);
const str = (b: Buffer | Uint8Array): Buffer => Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), Buffer.from(b)]);
const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);

function connectBody(o: { clientId?: Buffer; flags?: number; protocol?: string; level?: number; username?: Buffer; password?: Buffer }): Buffer {
  const parts = [str(Buffer.from(o.protocol ?? 'MQTT')), Buffer.from([o.level ?? 4, o.flags ?? 0x02]), u16(30), str(o.clientId ?? Buffer.from('fuzz'))];
  if (o.username) parts.push(str(o.username));
  if (o.password) parts.push(str(o.password));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------- connections

interface Raw {
  socket: Socket;
  closed: Promise<boolean>;
}

function open(): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    // Read (and drop) what the broker sends: a socket nobody reads never sees the broker's FIN.
    socket.resume();
    const closed = new Promise<boolean>((r) => socket.once('close', () => r(true)));
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

/** A raw connection of an authenticated device, after its CONNACK 0. */
async function authenticated(): Promise<Raw> {
  const r = await open();
  const id = `fuzz-${Math.random().toString(36).slice(2, 10)}`;
  const token = await hub.mint({ subject: id, kind: 'device', users: ['fuzz'] });
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const connack = new Promise<number>((resolve) => parser.once('packet', (p: mqttPacket.Packet) => resolve((p as mqttPacket.IConnackPacket).returnCode ?? -1)));
  r.socket.on('data', (d) => parser.parse(d));
  r.socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: id, clean: true, keepalive: 30, username: id, password: Buffer.from(token) }));
  expect(await connack).toBe(0);
  return r;
}

const within = (p: Promise<boolean>, ms: number) => Promise.race([p, new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

/** Sends `bytes`; a malformed packet must close this connection (and only it). */
async function mustClose(r: Raw, bytes: Buffer, chunks: number[] = []): Promise<void> {
  let at = 0;
  for (const c of chunks) {
    if (at + c >= bytes.length) break;
    r.socket.write(bytes.subarray(at, at + c));
    at += c;
  }
  r.socket.write(bytes.subarray(at));
  const closed = await within(r.closed, 3000);
  r.socket.destroy();
  expect(closed, `still open after ${bytes.subarray(0, 48).toString('hex')}`).toBe(true);
}

// ---------------------------------------------------------------- arbitraries

const badUtf8 = fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3], [0x00]).map((b) => Buffer.from(b));
const withBad = badUtf8.chain((bad) => fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 })).map(([a, b]) => Buffer.concat([Buffer.from(a), bad, Buffer.from(b)])));
const chunking = fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 4 });
const topic = fc.array(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 4 }).map((l) => `users/fuzz/${l.join('/')}`);

describe('malformed MQTT closes only its own connection (issue 11 fuzz)', () => {
  test.prop([fc.integer({ min: 0, max: 15 }).filter((t) => t !== 1), fc.integer({ min: 0, max: 15 }), fc.uint8Array({ maxLength: 32 }), chunking], props)(
    'before CONNECT: any other packet type, any flags [MQTT-3.1.0-1]',
    async (type, flags, body, chunks) => {
      await mustClose(await open(), packet((type << 4) | flags, body), chunks);
    },
  );

  test.prop([fc.oneof(
    fc.record({ clientId: withBad }).map((o) => connectBody(o)),
    fc.record({ username: withBad, password: fc.constant(Buffer.from('x')) }).map((o) => connectBody({ ...o, flags: 0xc2 })),
    fc.integer({ min: 0, max: 255 }).filter((l) => l !== 3 && l !== 4 && l !== 5).map((level) => connectBody({ level })),
    fc.constantFrom('MQIsdp', 'MQTT5', 'mqtt', '').map((protocol) => connectBody({ protocol })),
    // Reserved flag bit 0 set [MQTT-3.1.2-3]; will QoS 3 [MQTT-3.1.2-14]; a password without a username [MQTT-3.1.2-22].
    fc.constantFrom(0x03, 0x1e, 0x42).map((flags) => connectBody({ flags })),
  ), fc.integer({ min: 0, max: 15 }).filter((f) => f !== 0), chunking], props)('malformed CONNECTs, and CONNECT with fixed-header flags', async (body, headerFlags, chunks) => {
    const r = await open();
    // Half of them with a bad fixed-header flag nibble as well.
    await mustClose(r, packet(0x10 | (chunks.length % 2 === 0 ? headerFlags : 0), body), chunks);
  });

  test.prop([fc.oneof(
    // A topic with invalid UTF-8 or U+0000 [MQTT-1.5.3-1/2].
    withBad.map((t) => packet(0x30, Buffer.concat([str(Buffer.concat([Buffer.from('users/fuzz/'), t])), Buffer.from('x')]))),
    // QoS 3 [MQTT-3.3.1-4].
    topic.map((t) => packet(0x36, Buffer.concat([str(Buffer.from(t)), u16(1), Buffer.from('{}')]))),
    // Wildcards in a topic name [MQTT-3.3.2-2].
    fc.tuple(topic, fc.constantFrom('+', '#', '/+/', 'a#', '+b')).map(([t, w]) => packet(0x32, Buffer.concat([str(Buffer.from(`${t}/${w}`)), u16(7), Buffer.from('{}')]))),
    // QoS 1 with packet id 0 [MQTT-2.3.1-1].
    topic.map((t) => packet(0x32, Buffer.concat([str(Buffer.from(t)), u16(0), Buffer.from('{}')]))),
    // Oversized topic (past the 512-byte limit) and too many levels.
    fc.integer({ min: 513, max: 20_000 }).map((n) => packet(0x30, Buffer.concat([str(Buffer.from(`users/fuzz/${'x'.repeat(n)}`)), Buffer.from('x')]))),
    fc.integer({ min: 17, max: 400 }).map((n) => packet(0x30, Buffer.concat([str(Buffer.from(`users/fuzz/${'a/'.repeat(n)}a`)), Buffer.from('x')]))),
    // A topic length running past the packet.
    fc.integer({ min: 10, max: 60_000 }).map((n) => packet(0x30, Buffer.concat([u16(n), Buffer.from('users/fuzz')]))),
    // A second CONNECT [MQTT-3.1.0-2].
    fc.constant(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'again', clean: true, keepalive: 30 })),
    // Reserved packet types 0 and 15, CONNACK/SUBACK/UNSUBACK/PINGRESP from a client.
    fc.tuple(fc.constantFrom(0x0, 0xf, 0x2, 0x9, 0xb, 0xd), fc.uint8Array({ maxLength: 8 })).map(([t, b]) => packet(t << 4, b)),
    // SUBSCRIBE / UNSUBSCRIBE / PUBREL with the wrong fixed-header flags [MQTT-3.8.1-1] [MQTT-3.10.1-1] [MQTT-3.6.1-1].
    fc.tuple(fc.constantFrom(0x80, 0x81, 0x83, 0x8f), topic).map(([h, t]) => packet(h, Buffer.concat([u16(1), str(Buffer.from(t)), Buffer.from([0])]))),
    fc.tuple(fc.constantFrom(0xa0, 0xa3), topic).map(([h, t]) => packet(h, Buffer.concat([u16(1), str(Buffer.from(t))]))),
    fc.constantFrom(0x60, 0x63).map((h) => packet(h, u16(1))),
    // QoS 0 with DUP set [MQTT-3.3.1-2]; UNSUBSCRIBE with no filter [MQTT-3.10.3-2].
    topic.map((t) => packet(0x38, Buffer.concat([str(Buffer.from(t)), Buffer.from('{}')]))),
    fc.constant(packet(0xa2, u16(1))),
    withBad.map((t) => packet(0xa2, Buffer.concat([u16(1), str(Buffer.concat([Buffer.from('users/fuzz/'), t]))]))),
    // SUBSCRIBE with no filter [MQTT-3.8.3-3], a requested QoS 3 or reserved bits [MQTT-3.8.3-4], an invalid filter.
    fc.constant(packet(0x82, u16(1))),
    fc.tuple(topic, fc.constantFrom(3, 4, 0x80, 0xfc)).map(([t, q]) => packet(0x82, Buffer.concat([u16(1), str(Buffer.from(t)), Buffer.from([q])]))),
    fc.constantFrom('users/#/x', 'users/fu+', 'users/fuzz/##').map((t) => packet(0x82, Buffer.concat([u16(1), str(Buffer.from(t)), Buffer.from([0])]))),
    withBad.map((t) => packet(0x82, Buffer.concat([u16(1), str(Buffer.concat([Buffer.from('users/fuzz/'), t])), Buffer.from([0])]))),
    // Huge remaining lengths: past the packet size limit, and a 5-byte length [MQTT-2.2.3].
    fc.integer({ min: 256 * 1024 + 1, max: 268_435_455 }).map((n) => Buffer.from([0x30, ...varint(n), 0x00, 0x01, 0x61])),
    fc.constant(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f, 0, 1, 0x61])),
    // PINGREQ / DISCONNECT with a body.
    fc.tuple(fc.constantFrom(0xc0, 0xe0), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([h, b]) => packet(h, b)),
  ), chunking], props)('after CONNECT: hostile packets', async (bytes, chunks) => {
    await mustClose(await authenticated(), bytes, chunks);
  });

  test.prop([fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.boolean(), chunking], props)('random bytes, truncated and mislabelled packets never disturb the others', async (bytes, afterConnect, chunks) => {
    const r = afterConnect ? await authenticated() : await open();
    let at = 0;
    for (const c of chunks) {
      if (at + c >= bytes.length) break;
      r.socket.write(bytes.subarray(at, at + c));
      at += c;
    }
    // A truncated packet leaves the broker waiting for the rest: end our side, as a dying client would.
    r.socket.end(bytes.subarray(at));
    expect(await within(r.closed, 3000)).toBe(true);
    r.socket.destroy();
  });

  test.prop([fc.constantFrom(
    mqttPacket.generate({ cmd: 'publish', topic: 'users/fuzz/events', payload: Buffer.from('{"metric":"heart_rate","values":{"bpm":70}}'), qos: 1, messageId: 9, retain: false, dup: false }),
    mqttPacket.generate({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'users/fuzz/#', qos: 1 }] }),
    mqttPacket.generate({ cmd: 'pingreq' }),
  ), fc.integer({ min: 1, max: 40 })], props)('a valid packet cut short, or with a remaining length too long, then the client leaves', async (whole, cut) => {
    const r = await authenticated();
    const bytes = cut < whole.length ? whole.subarray(0, whole.length - Math.min(cut, whole.length - 1)) : Buffer.concat([Buffer.from([whole[0]!, ...varint(whole.length + cut)]), whole.subarray(2)]);
    r.socket.end(bytes);
    expect(await within(r.closed, 3000)).toBe(true);
    r.socket.destroy();
  });
});
