import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { createTokenService, generateSigningKey } from '@pulsehub/auth';
import { createBroker, type PulseHubBroker } from '@pulsehub/broker';

const tokens = createTokenService({ current: generateSigningKey(), previous: [] });
let broker: PulseHubBroker;
let port: number;

beforeAll(async () => {
  broker = await createBroker({ tokens, maxQueuedPerSession: 5, rateLimits: false });
  ({ port } = await broker.listen({ port: 0 }));
});
afterAll(async () => broker?.close());

async function connect(subject: string, kind: 'admin' | 'service', clean: boolean) {
  const { token } = await tokens.mint({ subject, kind });
  const c = mqtt.connect({ port, host: '127.0.0.1', username: subject, password: token, clientId: `${subject}-session`, clean, reconnectPeriod: 0 });
  await new Promise((r, j) => (c.once('connect', r), c.once('error', j)));
  return c;
}

async function offlineThenCount(subject: string, kind: 'admin' | 'service', n: number): Promise<string[]> {
  const sub = await connect(subject, kind, false);
  await sub.subscribeAsync(`users/${subject}/q`, { qos: 1 });
  await sub.endAsync();
  const pub = await connect(`${subject}-pub`, 'admin', true);
  for (let i = 0; i < n; i++) await pub.publishAsync(`users/${subject}/q`, String(i), { qos: 1 });
  await pub.endAsync();
  const back = await connect(subject, kind, false);
  const got: string[] = [];
  back.on('message', (_t, p) => got.push(p.toString()));
  await new Promise((r) => setTimeout(r, 300));
  await back.endAsync();
  return got;
}

describe('in-memory persistence: indexed outgoing queue, bounded per session', () => {
  it('keeps the newest maxQueuedPerSession messages of an offline session, in order, and counts the drops', async () => {
    const got = await offlineThenCount('ofl', 'admin', 8);
    expect(got).toEqual(['3', '4', '5', '6', '7']);
    expect(await broker.metrics.render()).toMatch(/dropped[^\n]*queue_full[^\n]* 3/);
  });

  it('never drops from a service session (ingest must not lose what it has not committed)', async () => {
    const got = await offlineThenCount('svc', 'service', 8);
    expect(got).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
  });
});

describe('a client id belongs to the subject holding its session', () => {
  it('refuses another subject that takes over a persistent session with CONNACK 2, and keeps the session for its owner', async () => {
    const ingest = await connect('ingest-x', 'service', false); // client id "ingest-x-session"
    await ingest.subscribeAsync('users/+/events/+', { qos: 1 });
    await ingest.endAsync();
    const { token } = await tokens.mint({ subject: 'w-evil', kind: 'device', users: ['mallory'] });
    const code = await new Promise<number>((resolve) => {
      const c = mqtt.connect({ port, host: '127.0.0.1', username: 'w-evil', password: token, clientId: 'ingest-x-session', clean: false, reconnectPeriod: 0 });
      c.once('connect', () => (c.end(true), resolve(0)));
      c.once('error', (err) => (c.end(true), resolve((err as { code?: number }).code ?? -1)));
    });
    expect(code).toBe(2);
    const pub = await connect('adm-x', 'admin', true);
    await pub.publishAsync('users/ana/events/w1', 'kept', { qos: 1 });
    await pub.endAsync();
    const back = await connect('ingest-x', 'service', false);
    const got = await new Promise<string>((r) => back.once('message', (_t, p) => r(p.toString())));
    expect(got).toBe('kept');
    await back.endAsync();
  });
});

describe('bound on a connected, slow persistent subscriber', () => {
  it('drops the oldest past the bound but keeps the client connected and delivers the rest', async () => {
    const sub = await connect('slow', 'admin', false);
    await sub.subscribeAsync('users/slow/q', { qos: 1 });
    let closed = false;
    sub.on('close', () => (closed = true));
    const got: string[] = [];
    // Hold every PUBACK back: mqtt.js acknowledges after handleMessage calls back.
    const held: (() => void)[] = [];
    sub.handleMessage = (packet, done) => {
      got.push(String(packet.payload));
      held.push(() => done());
    };
    const pub = await connect('slow-pub', 'admin', true);
    // A burst: messages are queued for the subscriber faster than they are sent to it.
    await Promise.all(Array.from({ length: 40 }, (_, i) => pub.publishAsync('users/slow/q', String(i), { qos: 1 })));
    await new Promise((r) => setTimeout(r, 300));
    for (const ack of held) ack();
    await new Promise((r) => setTimeout(r, 200));
    expect(closed).toBe(false);
    expect(sub.connected).toBe(true);
    expect(got.length).toBeGreaterThan(0);
    await pub.endAsync();
    await sub.endAsync();
  });
});
