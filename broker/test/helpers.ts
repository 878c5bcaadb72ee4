import mqtt, { type MqttClient } from 'mqtt';
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
