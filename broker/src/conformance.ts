import type { Client, ConnectPacket, PublishPacket } from 'aedes';
import { hasReplacementChar } from './limits.js';

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

function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/**
 * Aedes caps a delivery at the subscription QoS only when the filter equals the topic, so
 * a QoS 1 wildcard subscription would get QoS 2 messages. Cap at the highest QoS among the
 * client's matching subscriptions instead [MQTT-3.8.4-6] [MQTT-3.3.5-1].
 */
export function capToSubscriptionQos<P extends { topic: string; qos: 0 | 1 | 2 }>(client: Client, packet: P): P {
  if (packet.qos === 0) return packet;
  let max = -1;
  for (const [filter, sub] of Object.entries((client as unknown as { subscriptions: Record<string, { qos: number }> }).subscriptions)) {
    if (!filter.startsWith('$share/') && matches(filter, packet.topic)) max = Math.max(max, sub.qos);
  }
  if (max < 0 || max >= packet.qos) return packet;
  packet.qos = max as 0 | 1 | 2;
  return packet;
}
