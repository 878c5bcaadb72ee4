import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCerts, type TestCerts } from '@pulsehub/testkit';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import mqtt, { type MqttClient } from 'mqtt';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { createBroker, type PulseHubBroker } from '@pulsehub/broker';
import { ExpirySchedule } from '../src/expiry.js';
import { sleep, tokens } from './helpers.js';

/**
 * Issue 11, defect 7: publishes 12–21 s into a 10 s token were acked and stored. The token's
 * `exp` now closes the connection at that instant, on every transport, and a publish that
 * arrives after it is neither acknowledged nor handed to ingest.
 */

let certs: TestCerts;
let broker: PulseHubBroker;
let tcpPort: number;
let tlsPort: number;
let wsPort: number;
let http: Server;
/** What the broker handed to ingest (the in-process intake), with when. */
const stored: { payload: string; at: number }[] = [];

beforeAll(async () => {
  certs = makeTestCerts();
  broker = await createBroker({
    tokens,
    intake: () => (_topic, payload, committed) => {
      stored.push({ payload: payload.toString(), at: Date.now() });
      committed();
    },
  });
  ({ port: tcpPort } = await broker.listen({ port: 0 }));
  ({ port: tlsPort } = await broker.listen({ port: 0, tls: { certFile: certs.server.cert, keyFile: certs.server.key } }));
  http = createServer();
  const wss = new WebSocketServer({ server: http, path: '/mqtt' });
  wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  wsPort = (http.address() as { port: number }).port;
});
afterAll(async () => {
  await broker?.close();
  http?.close();
  certs?.remove();
});

type Transport = 'tcp' | 'tls' | 'ws';
const url = (t: Transport) => (t === 'tcp' ? `mqtt://127.0.0.1:${tcpPort}` : t === 'tls' ? `mqtts://127.0.0.1:${tlsPort}` : `ws://127.0.0.1:${wsPort}/mqtt`);

describe('a token that expires closes its MQTT connection at its exp (issue 11, defect 7)', () => {
  it.concurrent.each<Transport>(['tcp', 'tls', 'ws'])('over %s: closed at expiry; publishes after it are neither acked nor stored', async (transport) => {
    const subject = `exp-${transport}`;
    const { token, expiresAt } = await tokens.mint({ subject, kind: 'device', users: ['ana'], ttlSeconds: 2 });
    const expMs = expiresAt! * 1000;
    const client: MqttClient = mqtt.connect(url(transport), { username: subject, password: token, reconnectPeriod: 0, ca: readFileSync(certs.server.cert), rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    let closedAt = 0;
    client.once('close', () => (closedAt = Date.now()));
    client.on('error', () => undefined);
    // Publish QoS 1 every 40 ms (without waiting for acks) until the connection closes.
    const acked: number[] = [];
    let n = 0;
    while (closedAt === 0 && Date.now() < expMs + 3000) {
      const sentAt = Date.now();
      client.publish('users/ana/events', `${subject}:${sentAt}:${n++}`, { qos: 1 }, (err) => {
        if (!err) acked.push(sentAt);
      });
      await sleep(40);
    }
    client.end(true);
    expect(closedAt).toBeGreaterThan(0);
    // Closed at the expiry instant (the timer fires on the exp second), not left open.
    expect(closedAt).toBeGreaterThanOrEqual(expMs - 50);
    expect(closedAt).toBeLessThan(expMs + 1500);
    expect(acked.length).toBeGreaterThan(0);
    // Nothing that reached the broker after exp was acknowledged or stored.
    const mine = stored.filter((s) => s.payload.startsWith(`${subject}:`));
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((s) => s.at < expMs)).toBe(true);
  });

  it('a connection that ends before its expiry leaves nothing behind in the schedule', async () => {
    const expired: string[] = [];
    const schedule = new ExpirySchedule<{ id: string }>((c) => expired.push(c.id));
    const exp = Math.floor(Date.now() / 1000) + 1;
    const a = { id: 'a' };
    const b = { id: 'b' };
    const c = { id: 'c' };
    schedule.add(a, exp);
    schedule.add(b, exp);
    schedule.add(c, exp + 3600);
    // A client reconnecting with the same token many times costs one entry, not one per connection.
    for (let i = 0; i < 1000; i++) {
      const again = { id: `r${i}` };
      schedule.add(again, exp + 60);
      schedule.remove(again, exp + 60);
    }
    schedule.remove(b, exp);
    expect(schedule.size).toBe(2);
    expect((schedule as unknown as { heap: number[] }).heap).toHaveLength(3);
    await sleep(exp * 1000 - Date.now() + 100);
    expect(expired).toEqual(['a']);
    expect(schedule.size).toBe(1);
    schedule.close();
  });
});
