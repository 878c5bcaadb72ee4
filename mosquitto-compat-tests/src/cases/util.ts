import { strict as assert } from 'node:assert';
import type { IPublishPacket, ISubackPacket, QoS } from 'mqtt-packet';
import type { RawClient } from '../raw-client.js';

export { assert };

/** Asserts the broker closes the connection within `ms`, without accepting it first when `noConnack0`. */
export async function expectClosed(r: RawClient, ms = 2000, why = 'the broker should close the connection'): Promise<void> {
  assert.equal(await r.waitClosed(ms), true, why);
}

export async function expectOpen(r: RawClient, ms = 600): Promise<void> {
  assert.equal(await r.waitClosed(ms), false, 'the broker should keep the connection open');
  // A PINGREQ round trip proves the session still works.
  r.send({ cmd: 'pingreq' });
  await r.next('pingresp', 2000);
}

let nextId = 1;
export const newId = (): number => (nextId = (nextId % 65000) + 1);

export async function subscribe(r: RawClient, filters: [string, QoS | number][], messageId = newId()): Promise<number[]> {
  r.send({ cmd: 'subscribe', messageId, subscriptions: filters.map(([topic, qos]) => ({ topic, qos: qos as QoS })) });
  const ack = await r.next<ISubackPacket>((p) => p.cmd === 'suback' && p.messageId === messageId);
  return ack.granted as number[];
}

export interface PubOptions {
  qos?: QoS;
  retain?: boolean;
  dup?: boolean;
  messageId?: number;
}

/** Publishes and completes the sender side of the QoS flow [MQTT-4.3.2-1] [MQTT-4.3.3-1]. */
export async function publish(r: RawClient, topic: string, payload: string | Buffer, o: PubOptions = {}): Promise<void> {
  const qos = o.qos ?? 0;
  const messageId = qos > 0 ? (o.messageId ?? newId()) : undefined;
  r.send({ cmd: 'publish', topic, payload, qos, retain: o.retain ?? false, dup: o.dup ?? false, ...(messageId ? { messageId } : {}) } as IPublishPacket);
  if (qos === 1) await r.next((p) => p.cmd === 'puback' && p.messageId === messageId);
  if (qos === 2) {
    await r.next((p) => p.cmd === 'pubrec' && p.messageId === messageId);
    r.send({ cmd: 'pubrel', messageId: messageId! });
    await r.next((p) => p.cmd === 'pubcomp' && p.messageId === messageId);
  }
}

/** Waits for the next PUBLISH on `topic` (any topic when omitted). */
export function nextPublish(r: RawClient, topic?: string, ms = 2000): Promise<IPublishPacket> {
  return r.next<IPublishPacket>((p) => p.cmd === 'publish' && (topic === undefined || p.topic === topic), ms);
}

/** Asserts no PUBLISH (on `topic`, if given) arrives within `ms`. */
export async function expectNoPublish(r: RawClient, ms = 500, topic?: string): Promise<void> {
  const got = await nextPublish(r, topic, ms).catch(() => null);
  assert.equal(got, null, `unexpected PUBLISH ${got ? `${got.topic} ${String(got.payload)}` : ''}`);
}

/** Acknowledges a received PUBLISH as the receiver of its QoS flow. */
export async function ack(r: RawClient, p: IPublishPacket): Promise<void> {
  if (p.qos === 1) r.send({ cmd: 'puback', messageId: p.messageId! });
  if (p.qos === 2) {
    r.send({ cmd: 'pubrec', messageId: p.messageId! });
    await r.next((x) => x.cmd === 'pubrel' && x.messageId === p.messageId);
    r.send({ cmd: 'pubcomp', messageId: p.messageId! });
  }
}

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];
const str = (s: string | Buffer): number[] => {
  const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
  return [...u16(b.length), ...b];
};

function remainingLength(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

/** A packet from its first byte and body, with the remaining length computed. */
export function frame(first: number, body: number[]): Buffer {
  return Buffer.from([first, ...remainingLength(body.length), ...body]);
}

export interface RawConnect {
  protocolName?: string;
  level?: number;
  flags?: number;
  keepalive?: number;
  clientId?: string | Buffer;
  payloadTail?: number[];
  firstByte?: number;
}

/** A CONNECT built byte by byte, so a case can break exactly one field. */
export function connectBytes(c: RawConnect = {}): Buffer {
  const body = [...str(c.protocolName ?? 'MQTT'), c.level ?? 4, c.flags ?? 0x02, ...u16(c.keepalive ?? 30), ...str(c.clientId ?? 'raw'), ...(c.payloadTail ?? [])];
  return frame(c.firstByte ?? 0x10, body);
}

/** A PUBLISH built byte by byte (QoS 0 unless flags say otherwise). */
export function publishBytes(topic: string | Buffer, payload: string, flags = 0, messageId?: number): Buffer {
  const body = [...str(topic), ...(messageId !== undefined ? u16(messageId) : []), ...Buffer.from(payload)];
  return frame(0x30 | flags, body);
}

export function subscribeBytes(filters: [string | Buffer, number][], messageId = 1, firstByte = 0x82): Buffer {
  const body = [...u16(messageId), ...filters.flatMap(([f, q]) => [...str(f), q])];
  return frame(firstByte, body);
}

export { str, u16 };
