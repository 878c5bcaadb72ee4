import { connect as netConnect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { createTokenService, generateSigningKey, type TokenService } from '@pulsehub/auth';
import type { SubjectKind } from '@pulsehub/contracts';

export const tokens: TokenService = createTokenService({ current: generateSigningKey(), previous: [] }, { clockToleranceSec: 0 });

export interface Connected {
  code: number;
  client: MqttClient;
}

/** Connects with mqtt.js and resolves with the CONNACK return code (0 = accepted). */
export function connect(port: number, opts: mqtt.IClientOptions = {}): Promise<Connected> {
  return new Promise((resolve) => {
    const client = mqtt.connect({ port, host: '127.0.0.1', reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    client.once('connect', () => resolve({ code: 0, client }));
    client.once('error', (err) => resolve({ code: (err as { code?: number }).code ?? -1, client }));
    client.once('close', () => resolve({ code: -1, client }));
  });
}

/** Connects as a principal of the given kind; fails the test unless accepted. */
export async function as(port: number, kind: SubjectKind, subject: string, users: string[] = [], opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const { token } = await tokens.mint({ subject, kind, users });
  const { code, client } = await connect(port, { username: subject, password: token, ...opts });
  if (code !== 0) throw new Error(`${kind} ${subject}: CONNACK ${code}`);
  return client;
}

/** The SUBACK granted codes mqtt.js saw (0x80 = refused [MQTT-3.9.3-2]). */
export async function subackCodes(client: MqttClient, filter: string, qos: 0 | 1 = 1): Promise<number[]> {
  return client.subscribeAsync(filter, { qos }).then(
    (granted) => granted.map((g) => g.qos),
    (e: { packet?: { granted: number[] } }) => e.packet?.granted ?? [-1],
  );
}

/** Resolves with the topics a client receives until `n` arrived. */
export function collect(client: MqttClient, n: number): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve) => {
    const on = (topic: string) => {
      got.push(topic);
      if (got.length >= n) {
        client.off('message', on);
        resolve(got);
      }
    };
    client.on('message', on);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const closed = (client: MqttClient): Promise<void> => new Promise((r) => (client.connected ? client.once('close', () => r()) : r()));

/** A raw MQTT 3.1.1 connection that records PUBLISHes and never acknowledges them. */
export interface SilentClient {
  readonly publishes: { topic: string; payload: string; messageId?: number; dup: boolean }[];
  /** Drops the TCP connection without DISCONNECT. */
  drop(): void;
}

/** Connects with a fresh token of `kind`, subscribes to `filter` at QoS 1, and never sends PUBACK. */
export async function silentSubscriber(port: number, kind: SubjectKind, subject: string, filter: string, clean: boolean): Promise<SilentClient> {
  const { token } = await tokens.mint({ subject, kind });
  const socket = netConnect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const publishes: SilentClient['publishes'] = [];
  let suback: () => void = () => undefined;
  const subscribed = new Promise<void>((r) => (suback = r));
  parser.on('packet', (p: mqttPacket.Packet) => {
    if (p.cmd === 'suback') suback();
    if (p.cmd === 'publish') publishes.push({ topic: p.topic, payload: p.payload.toString(), ...(p.messageId !== undefined ? { messageId: p.messageId } : {}), dup: p.dup });
  });
  socket.on('data', (d) => parser.parse(d));
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: subject, clean, keepalive: 0, username: subject, password: Buffer.from(token) }));
  socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: filter, qos: 1 }] }));
  await subscribed;
  return { publishes, drop: () => socket.destroy() };
}
