import { Readable } from 'node:stream';
import type { Client, ConnectPacket, PublishPacket } from 'aedes';
import { hasReplacementChar } from './limits.js';
import { brokerOf, deliveryOf, parserOf, subscriptionsOf } from './aedes-internals.js';

/**
 * MQTT 3.1.1 checks that Aedes 1.2 and its parser (mqtt-packet) leave out, found by the
 * Mosquitto comparison suite (mosquitto-compat-tests). Each returns why a packet is refused,
 * or null.
 */

/** CONNECT checks run in preConnect, before any CONNACK. */
export function connectViolation(packet: ConnectPacket): 'client-id-rejected' | string | null {
  // [MQTT-3.1.3-8]: a zero-length client id needs clean session 1 (answered with CONNACK 2).
  if (packet.clientId === '' && packet.clean === false) return 'client-id-rejected';
  // [MQTT-3.1.2-14]: will QoS 3 is malformed.
  if (packet.will && (packet.will.qos as number) > 2) return 'will QoS 3';
  // [MQTT-1.5.3-1] [MQTT-1.5.3-2]: strings must be well-formed UTF-8 without U+0000.
  for (const s of [packet.clientId, packet.will?.topic, packet.username]) {
    if (s !== undefined && (hasReplacementChar(s) || s.includes('\u0000'))) return 'string not well-formed UTF-8';
  }
  return null;
}

/** PUBLISH checks run in authorizePublish (a refusal disconnects the client). */
export function publishViolation(packet: PublishPacket): string | null {
  // [MQTT-2.3.1-1]: QoS 1 and 2 need a non-zero packet id.
  if (packet.qos > 0 && packet.messageId === 0) return 'packet id 0';
  // [MQTT-1.5.3-2] [MQTT-4.7.3-2]: no U+0000 in a topic name.
  if (packet.topic.includes('\u0000')) return 'U+0000 in topic';
  return null;
}

function sameChars(a: string, i: number, b: string, j: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a.charCodeAt(i + k) !== b.charCodeAt(j + k)) return false;
  return true;
}

/** Does a subscription filter match a concrete topic [MQTT-4.7.1]? Allocates nothing (runs per forwarded message). */
export function filterMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const dollar = topic.charCodeAt(0) === 36;
  let f = 0;
  let t = 0;
  for (let level = 0; ; level++) {
    let fEnd = filter.indexOf('/', f);
    if (fEnd < 0) fEnd = filter.length;
    const fLen = fEnd - f;
    if (fLen === 1 && filter.charCodeAt(f) === 35) return !(level === 0 && dollar); // '#', also matches the parent level
    if (t > topic.length) return false; // topic ran out of levels
    let tEnd = topic.indexOf('/', t);
    if (tEnd < 0) tEnd = topic.length;
    if (fLen === 1 && filter.charCodeAt(f) === 43) {
      if (level === 0 && dollar) return false; // [MQTT-4.7.2-1]
    } else if (fLen !== tEnd - t || !sameChars(filter, f, topic, t, fLen)) return false;
    f = fEnd + 1;
    t = tEnd + 1;
    if (f > filter.length) return t > topic.length;
  }
}

/** The highest QoS among the client's (non-shared) subscriptions matching the topic; -1 if none. */
export function maxSubscriptionQos(client: Client, topic: string): number {
  const subs = subscriptionsOf(client);
  let max = -1;
  for (const filter in subs) {
    const qos = subs[filter]!.qos;
    if (qos > max && !filter.startsWith('$share/') && filterMatches(filter, topic)) max = qos;
  }
  return max;
}

/**
 * Aedes caps a delivery at the subscription QoS only when the filter equals the topic, so
 * a QoS 1 wildcard subscription would get QoS 2 messages. Cap at the highest QoS among the
 * client's matching subscriptions instead [MQTT-3.8.4-6] [MQTT-3.3.5-1].
 */
export function capToSubscriptionQos<P extends { topic: string; qos: 0 | 1 | 2 }>(client: Client, packet: P): P {
  if (packet.qos === 0) return packet;
  const max = maxSubscriptionQos(client, packet.topic);
  if (max < 0 || max >= packet.qos) return packet;
  packet.qos = max as 0 | 1 | 2;
  return packet;
}

type Deliver = (packet: PublishPacket, cb: () => void) => void;

/**
 * [MQTT-3.3.5-1]: with overlapping subscriptions a message goes out at the highest QoS among
 * them. Aedes delivers one copy per client (its per-client duplicate filter drops the rest),
 * through whichever matching subscription qlobber lists first, and a QoS 0 subscription's
 * function (`deliver0`) always sends QoS 0. Subscriptions capture `client.deliver0` when they
 * are made, so replacing it on the client before any SUBSCRIBE routes a QoS > 0 message that
 * reaches a QoS 0 subscription to `deliverQoS` when another matching subscription asks for
 * QoS > 0; `capToSubscriptionQos` (authorizeForward) then sets the exact QoS.
 */
export function deliverAtHighestQos(client: Client): void {
  const c = deliveryOf<Deliver>(client);
  const deliver0 = c.deliver0;
  const deliverQoS = c.deliverQoS;
  if (typeof deliver0 !== 'function' || typeof deliverQoS !== 'function') throw new Error('aedes client has no deliver0/deliverQoS: check the aedes version');
  c.deliver0 = function deliverAtMaxQos(packet, cb) {
    if (packet.qos > 0 && maxSubscriptionQos(client, packet.topic) > 0) return deliverQoS(packet, cb);
    deliver0(packet, cb);
  };
}

interface StoredPacket {
  cmd: string;
  messageId?: number;
  dup?: boolean;
}

interface OutgoingPersistence {
  outgoingStream(client: { id: string }): AsyncIterable<StoredPacket>;
}

/**
 * [MQTT-3.3.1-1]: a PUBLISH re-delivered from a stored session carries DUP 1. Aedes resends
 * a session's unacknowledged messages from `persistence.outgoingStream` with the stored DUP
 * flag, which is 0. A stored PUBLISH has a packet id only once it was sent (the persistence
 * assigns it in `outgoingUpdate` as the packet goes out; queued-while-offline messages have
 * none), so the stream is wrapped to set DUP on exactly those. The stored packet itself is
 * left alone (a copy goes out).
 */
export function markRedeliveries(persistence: OutgoingPersistence): void {
  const outgoingStream = persistence.outgoingStream.bind(persistence);
  async function* marked(client: { id: string }): AsyncGenerator<StoredPacket> {
    for await (const p of outgoingStream(client)) yield p.cmd === 'publish' && p.messageId ? { ...p, dup: true } : p;
  }
  // A clean session has nothing stored to re-deliver (Aedes empties it at CONNECT): keep the
  // plain stream, so the many clean connections do not pay for a wrapper each.
  persistence.outgoingStream = (client) => ((client as { clean?: boolean }).clean === true ? outgoingStream(client) : Readable.from(marked(client)));
}

interface ParserWithClient {
  packet?: { cmd?: string };
  client?: { broker?: object; connackSent?: boolean; connected?: boolean; conn?: { write(b: Buffer): unknown } };
  _emitError(err: Error): unknown;
}

/** CONNACK with return code 0x01, unacceptable protocol level. */
const CONNACK_BAD_PROTOCOL_LEVEL = Buffer.from([0x20, 0x02, 0x00, 0x01]);
const answeringBrokers = new WeakSet<object>();
const answeringPrototypes = new WeakSet<object>();

/**
 * [MQTT-3.1.2-2]: a CONNECT with an unsupported protocol level gets CONNACK 0x01, then the
 * connection closes. mqtt-packet refuses levels other than 3, 4 and 5 inside the parser, so
 * Aedes never sees the CONNECT and just closes. The parser's error path is wrapped once (on its
 * prototype, for parsers of our brokers only) to write the CONNACK first; the socket then
 * closes as before. The write is handed to the socket before it is destroyed, so on TCP it
 * goes out; on a stream that buffers (TLS, WebSocket) the client may still see only the close.
 */
export function answerBadProtocolLevel(client: Client): void {
  const parser = parserOf<ParserWithClient>(client);
  if (!parser || typeof parser._emitError !== 'function') throw new Error('aedes client has no mqtt-packet parser: check the aedes/mqtt-packet versions');
  answeringBrokers.add(brokerOf(client));
  const proto = Object.getPrototypeOf(parser) as ParserWithClient;
  if (answeringPrototypes.has(proto)) return;
  answeringPrototypes.add(proto);
  const emitError = proto._emitError;
  proto._emitError = function emitErrorAfterConnack(this: ParserWithClient, err: Error) {
    const c = this.client;
    if (c?.broker && answeringBrokers.has(c.broker) && err.message === 'Invalid protocol version' && this.packet?.cmd === 'connect' && !c.connackSent && !c.connected) {
      c.conn?.write(CONNACK_BAD_PROTOCOL_LEVEL);
    }
    return emitError.call(this, err);
  };
}
