import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestCerts, type TestCerts } from '@pulsehub/testkit';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect as netConnect } from 'node:net';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { createBroker, parseProxyHeader, type PulseHubBroker } from '@pulsehub/broker';
import { as, collect, connect, tokens } from './helpers.js';
import { aedesOf } from '../src/broker.js';

// Test certificates are made at test time (never committed): a CA, a server cert for
// 127.0.0.1, and a device client certificate with CN = the device id.

let certs: TestCerts;
let broker: PulseHubBroker;
let tlsPort: number;
let tcpPort: number;
const connDetails: string[] = [];

beforeAll(async () => {
  certs = makeTestCerts({ clients: ['cert-watch'] });
  broker = await createBroker({
    tokens,
    trustedProxies: ['127.0.0.1'],
    certificatePrincipal: async (cn, fp) => (cn === 'cert-watch' ? { subject: cn, kind: 'device', users: ['ana'], jti: `cert-${fp.slice(0, 16)}` } : null),
  });
  ({ port: tlsPort } = await broker.listen({ port: 0, tls: { certFile: certs.server.cert, keyFile: certs.server.key, caFile: certs.ca } }));
  ({ port: tcpPort } = await broker.listen({ port: 0, proxyProtocol: true }));
  aedesOf(broker).on('client', (c) => connDetails.push((c.req as unknown as { connDetails?: { ipAddress: string } } | undefined)?.connDetails?.ipAddress ?? 'none'));
});
afterAll(async () => {
  await broker?.close();
  certs?.remove();
});

async function consumer() {
  const c = await as(tcpPortDirect(), 'service', `ingest-${Math.random().toString(36).slice(2, 6)}`);
  await c.subscribeAsync('users/ana/events/+', { qos: 1 });
  return c;
}

// The PROXY listener only expects a header from trusted proxies; 127.0.0.1 is trusted here,
// so plain clients use a second listener.
let directPort = 0;
const tcpPortDirect = () => directPort;
beforeAll(async () => {
  ({ port: directPort } = await broker.listen({ port: 0 }));
});

describe('TLS (mqtts)', () => {
  it('carries an authenticated publish end to end', async () => {
    const sub = await consumer();
    const got = collect(sub, 1);
    const { token } = await tokens.mint({ subject: 'tls-watch', kind: 'device', users: ['ana'] });
    const { code, client } = await connect(tlsPort, { protocol: 'mqtts', ca: readFileSync(certs.ca), username: 'tls-watch', password: token });
    expect(code).toBe(0);
    await client.publishAsync('users/ana/events', '{}', { qos: 1 });
    expect(await got).toEqual(['users/ana/events/tls-watch']);
    await client.endAsync();
    await sub.endAsync();
  });

  it('authenticates a device by its client certificate instead of a token', async () => {
    const sub = await consumer();
    const got = collect(sub, 1);
    const { code, client } = await connect(tlsPort, { protocol: 'mqtts', ca: readFileSync(certs.ca), cert: readFileSync(certs.clients['cert-watch']!.cert), key: readFileSync(certs.clients['cert-watch']!.key), username: 'cert-watch' });
    expect(code).toBe(0);
    await client.publishAsync('users/ana/events', '{}', { qos: 1 });
    expect(await got).toEqual(['users/ana/events/cert-watch']);
    await client.endAsync();
    await sub.endAsync();
  });

  it('refuses a certificate-less client without a token (CONNACK 5)', async () => {
    const { code, client } = await connect(tlsPort, { protocol: 'mqtts', ca: readFileSync(certs.ca), username: 'cert-watch' });
    expect(code).toBe(5);
    client.end(true);
  });
});

describe('MQTT over WebSocket', () => {
  let http: Server;
  let wsPort: number;
  beforeAll(async () => {
    http = createServer();
    const wss = new WebSocketServer({ server: http, path: '/mqtt' });
    wss.on('connection', (ws, req) => broker.handle(createWebSocketStream(ws), req));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    wsPort = (http.address() as { port: number }).port;
  });
  afterAll(async () => new Promise<void>((r) => http.close(() => r())));

  it('carries an authenticated publish end to end, with the client address from a trusted X-Forwarded-For', async () => {
    const sub = await consumer();
    const got = collect(sub, 1);
    const { token } = await tokens.mint({ subject: 'ws-phone', kind: 'device', users: ['ana'] });
    const client = mqtt.connect(`ws://127.0.0.1:${wsPort}/mqtt`, { username: 'ws-phone', password: token, reconnectPeriod: 0, wsOptions: { headers: { 'X-Forwarded-For': '203.0.113.9' } } });
    await new Promise<void>((resolve, reject) => { client.once('connect', () => resolve()); client.once('error', reject); });
    await client.publishAsync('users/ana/events', '{}', { qos: 1 });
    expect(await got).toEqual(['users/ana/events/ws-phone']);
    expect(connDetails).toContain('203.0.113.9');
    await client.endAsync();
    await sub.endAsync();
  });
});

describe('PROXY protocol from a trusted proxy', () => {
  it('parses v1 and v2 headers', () => {
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 198.51.100.7 10.0.0.1 40000 1883\r\nrest'))).toEqual({ details: { ipAddress: '198.51.100.7', port: 40000, proxied: true }, consumed: 45 });
    const v2 = Buffer.concat([Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c]), Buffer.from([192, 0, 2, 5, 10, 0, 0, 1, 0x9c, 0x40, 0x07, 0x5b])]);
    expect(parseProxyHeader(v2)).toEqual({ details: { ipAddress: '192.0.2.5', port: 40000, proxied: true }, consumed: 28 });
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 nonsense\r\n'))).toBe('invalid');
    expect(parseProxyHeader(v2.subarray(0, 10))).toBe('more');
  });

  it('takes the client address from the header and serves MQTT after it', async () => {
    const sock = netConnect(tcpPort, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const { token } = await tokens.mint({ subject: 'proxied', kind: 'device', users: ['ana'] });
    const connack = new Promise<number>((resolve) => {
      const p = mqttPacket.parser({ protocolVersion: 4 });
      p.once('packet', (pk: { returnCode?: number }) => resolve(pk.returnCode ?? -1));
      sock.on('data', (d) => p.parse(d));
    });
    // Header and CONNECT in one segment, as proxies send them.
    sock.write(Buffer.concat([Buffer.from('PROXY TCP4 198.51.100.7 10.0.0.1 40000 1883\r\n'), mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'proxied', clean: true, keepalive: 30, username: 'proxied', password: Buffer.from(token) })]));
    expect(await connack).toBe(0);
    expect(connDetails).toContain('198.51.100.7');
    sock.destroy();
  });
});
