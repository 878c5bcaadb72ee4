import { randomUUID } from 'node:crypto';
import net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';

/** The Mosquitto that runs on this machine; tests only ever connect to it, under a unique topic prefix. */
export const MOSQUITTO = { host: '127.0.0.1', port: 1883 };

export const uniquePrefix = (): string => `ph-test-${randomUUID().slice(0, 8)}/`;

/**
 * A TCP relay in front of Mosquitto that the test can take down and bring back: "the hub is
 * unreachable" without touching the shared broker. Down = listener closed (connection
 * refused) and live connections cut, as when the hub's host goes away.
 */
export class HubLink {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(MOSQUITTO.port, MOSQUITTO.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }
}

/** A port nobody listens on (bound then released). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface Received {
  topic: string;
  body: string;
  retain: boolean;
}

/** A plain subscriber on Mosquitto collecting everything under `filter`. */
export async function subscriber(filter: string | string[]): Promise<{ client: MqttClient; messages: Received[]; close: () => Promise<void> }> {
  const client = await mqtt.connectAsync(`mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`, { clientId: `ph-sub-${randomUUID().slice(0, 8)}`, reconnectPeriod: 0 });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, body: payload.toString(), retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, messages, close: async () => void (await client.endAsync()) };
}

/** Removes a retained message from the shared broker (tests must not leave state behind). */
export async function clearRetained(topic: string): Promise<void> {
  const c = await mqtt.connectAsync(`mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`, { clientId: `ph-clr-${randomUUID().slice(0, 8)}`, reconnectPeriod: 0 });
  await c.publishAsync(topic, '', { retain: true, qos: 1 });
  await c.endAsync();
}
