import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { SignJWT } from 'jose';
import { createTokenService, generateSigningKey, type Keyring } from '@pulsehub/auth';
import { createBroker, type PulseHubBroker } from '@pulsehub/broker';

const keyring: Keyring = { current: generateSigningKey(), previous: [] };
const tokens = createTokenService(keyring, { clockToleranceSec: 0 });
let broker: PulseHubBroker;
let port: number;

beforeAll(async () => {
  broker = await createBroker({ tokens });
  ({ port } = await broker.listen({ port: 0 }));
});
afterAll(async () => broker?.close());

/** Connects and resolves with the CONNACK return code (0 = accepted). */
function connackCode(username: string | undefined, password: string | undefined): Promise<{ code: number; client: MqttClient }> {
  return new Promise((resolve) => {
    const opts: mqtt.IClientOptions = { port, host: '127.0.0.1', reconnectPeriod: 0, connectTimeout: 3000 };
    if (username !== undefined) opts.username = username;
    if (password !== undefined) opts.password = password;
    const client = mqtt.connect(opts);
    client.once('connect', () => resolve({ code: 0, client }));
    client.once('error', (err) => resolve({ code: (err as { code?: number }).code ?? -1, client }));
  });
}

async function device(id: string, user: string): Promise<MqttClient> {
  const { token } = await tokens.mint({ subject: id, kind: 'device', users: [user] });
  const { code, client } = await connackCode(id, token);
  expect(code).toBe(0);
  return client;
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('CONNECT authentication [MQTT-3.1.4-2]: password is a PulseHub JWT', () => {
  it('accepts a valid device token whose subject is the username', async () => {
    const { token } = await tokens.mint({ subject: 'w1', kind: 'device', users: ['ana'] });
    const { code, client } = await connackCode('w1', token);
    expect(code).toBe(0);
    await client.endAsync();
  });

  it.each([
    ['a username that is not the token subject', async () => ['w2', (await tokens.mint({ subject: 'w1', kind: 'device', users: ['ana'] })).token]],
    ['a token signed with another key under the same kid', async () => {
      const other = createTokenService({ current: { kid: keyring.current.kid, secret: generateSigningKey().secret }, previous: [] });
      return ['w1', (await other.mint({ subject: 'w1', kind: 'device', users: ['ana'] })).token];
    }],
    ['a token with alg none', async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = { sub: 'w1', kind: 'device', users: ['ana'], jti: 'abcdefgh1234', iss: 'pulsehub', aud: 'pulsehub', iat: now };
      return ['w1', `${b64({ alg: 'none', kid: keyring.current.kid, typ: 'JWT' })}.${b64(claims)}.`];
    }],
    ['an expired token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const jwt = await new SignJWT({ kind: 'device', users: ['ana'] })
        .setProtectedHeader({ alg: 'HS256', kid: keyring.current.kid })
        .setSubject('w1').setIssuer('pulsehub').setAudience('pulsehub').setJti('expired-token-1')
        .setIssuedAt(now - 120).setExpirationTime(now - 60)
        .sign(Buffer.from(keyring.current.secret, 'base64url'));
      return ['w1', jwt];
    }],
    ['a token for another audience', async () => {
      const now = Math.floor(Date.now() / 1000);
      const jwt = await new SignJWT({ kind: 'device', users: ['ana'] })
        .setProtectedHeader({ alg: 'HS256', kid: keyring.current.kid })
        .setSubject('w1').setIssuer('pulsehub').setAudience('somebody-else').setJti('aud-token-12').setIssuedAt(now)
        .sign(Buffer.from(keyring.current.secret, 'base64url'));
      return ['w1', jwt];
    }],
    ['garbage as password', async () => ['w1', 'not-a-jwt']],
  ] as const)('refuses %s with CONNACK 4 (bad username or password)', async (_name, make) => {
    const [user, pass] = await make();
    const { code, client } = await connackCode(user, pass);
    expect(code).toBe(4);
    client.end(true);
  });

  it('refuses a client without credentials with CONNACK 5 (not authorized)', async () => {
    const { code, client } = await connackCode(undefined, undefined);
    expect(code).toBe(5);
    client.end(true);
  });
});

describe('topic access', () => {
  it("lets a device publish to its own user's events, stamped with the device id for ingest", async () => {
    const svc = await tokens.mint({ subject: 'ingest', kind: 'service' });
    const { client: consumer } = await connackCode('ingest', svc.token);
    await consumer.subscribeAsync('users/+/events/+', { qos: 1 });
    const got = new Promise<string>((r) => consumer.once('message', (topic) => r(topic)));
    const w = await device('w-ana', 'ana');
    await w.publishAsync('users/ana/events', '{"metric":"heart_rate","values":{"bpm":60}}', { qos: 1 });
    expect(await got).toBe('users/ana/events/w-ana');
    await w.endAsync();
    await consumer.endAsync();
  });

  it.each([
    ["another user's events", 'users/bob/events'],
    ['a stamped topic (forging the publisher)', 'users/ana/events/other-device'],
    ['a live topic', 'live/users/ana'],
    ['$SYS', '$SYS/broker/x'],
  ])('disconnects a device that publishes to %s, and delivers nothing', async (_what, topic) => {
    const admin = await tokens.mint({ subject: 'adm', kind: 'admin' });
    const { client: watcher } = await connackCode('adm', admin.token);
    await watcher.subscribeAsync('#', { qos: 0 });
    await watcher.subscribeAsync('$SYS/broker/x', { qos: 0 });
    const seen: string[] = [];
    watcher.on('message', (t) => seen.push(t));
    const w = await device('w-ana2', 'ana');
    const closed = new Promise<void>((r) => w.once('close', () => r()));
    w.publish(topic, 'x', { qos: 1 });
    await closed;
    // A neighbour still gets through after the refusal.
    const ok = await device('w-ana3', 'ana');
    await ok.publishAsync('users/ana/events', 'after', { qos: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.filter((t) => t.startsWith(topic))).toEqual([]);
    expect(seen).toContain('users/ana/events/w-ana3');
    w.end(true);
    await ok.endAsync();
    await watcher.endAsync();
  });

  it('answers SUBACK 0x80 for a subscription outside the client tree and keeps the connection [MQTT-3.9.3-2]', async () => {
    const w = await device('w-sub', 'ana');
    // mqtt.js turns a 0x80 into an error that carries the SUBACK packet.
    const err = await w.subscribeAsync({ 'users/bob/#': { qos: 1 }, 'users/ana/commands': { qos: 1 } }).then(() => null, (e: { packet?: { granted: number[] } }) => e);
    expect(err?.packet?.granted).toEqual([128, 1]);
    expect(w.connected).toBe(true);
    await w.publishAsync('users/ana/events', '{}', { qos: 1 });
    await w.endAsync();
  });
});
