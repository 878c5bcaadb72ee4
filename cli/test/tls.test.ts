import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { eventsTopic, isPulseHubError } from '@pulsehub/contracts';
import { loadConfig } from '@pulsehub/cli';
import { startTestHub, waitFor, type TestHub } from './helpers.js';

// Certificates are made at test time (never committed): a CA, the hub's server certificate,
// and a client certificate whose CN is a registered device id.
const dir = mkdtempSync(join(tmpdir(), 'pulsehub-hub-tls-'));
const f = (n: string) => join(dir, n);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

describe('MQTT over TLS from the hub configuration', () => {
  let t: TestHub;
  beforeAll(async () => {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=pulsehub-test-ca');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');
    openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '1', '-copy_extensions', 'copy');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('dev.key'), '-out', f('dev.csr'), '-subj', '/CN=cuff-7');
    openssl('x509', '-req', '-in', f('dev.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('dev.crt'), '-days', '1');
    t = await startTestHub('postgres', { PULSEHUB_MQTTS_PORT: '0', PULSEHUB_TLS_CERT: f('server.crt'), PULSEHUB_TLS_KEY: f('server.key'), PULSEHUB_TLS_CA: f('ca.crt') });
    await t.hub.store.users.upsert({ id: 'ana', name: 'Ana' });
    await t.hub.store.devices.upsert({ id: 'cuff-7', userId: 'ana', kind: 'cuff' });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsConnect = (opts: mqtt.IClientOptions) => {
    const c = mqtt.connect({ protocol: 'mqtts', host: '127.0.0.1', port: t.hub.mqtts!.port, ca: readFileSync(f('ca.crt')), reconnectPeriod: 0, ...opts });
    return new Promise<mqtt.MqttClient>((resolve, reject) => (c.once('connect', () => resolve(c)), c.once('error', reject)));
  };

  it('carries a token-authenticated publish end to end', async () => {
    const c = await tlsConnect({ username: 'w-tls', password: await t.hub.mint({ subject: 'w-tls', kind: 'device', users: ['ana'] }) });
    await c.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 'tls-1', metric: 'heart_rate', values: { bpm: 77 } }), { qos: 1 });
    await waitFor(async () => (await t.hub.store.observations.latest('ana')).some((e) => e.id === 'tls-1'), 5000, 'the TLS reading');
    await c.endAsync();
  });

  it('authenticates a registered device by its client certificate alone, and stores its reading under its user', async () => {
    const c = await tlsConnect({ cert: readFileSync(f('dev.crt')), key: readFileSync(f('dev.key')) });
    await c.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 'cert-1', metric: 'heart_rate', values: { bpm: 66 } }), { qos: 1 });
    const stored = await waitFor(async () => (await t.hub.store.observations.latest('ana')).find((e) => e.id === 'cert-1'), 5000, 'the certificate-authenticated reading');
    expect(stored.deviceId).toBe('cuff-7');
    await c.endAsync();
  });

  it('refuses a partial TLS configuration at start, naming what is missing', () => {
    let err: unknown;
    try {
      loadConfig({ PULSEHUB_MQTTS_PORT: '8883', PULSEHUB_TLS_CERT: f('server.crt') });
    } catch (e) {
      err = e;
    }
    expect(isPulseHubError(err, 'PH_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('PULSEHUB_TLS_KEY');
  });
});
