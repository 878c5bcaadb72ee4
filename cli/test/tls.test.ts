import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { eventsTopic, isPulseHubError } from '@pulsehub/contracts';
import { loadConfig } from '@pulsehub/cli';
import { startTestHub, waitFor, type TestHub, makeTestCerts, type TestCerts } from '@pulsehub/testkit';

// Certificates are made at test time (never committed): a CA, the hub's server certificate,
// and a client certificate whose CN is a registered device id.

let certs: TestCerts;
describe('MQTT over TLS from the hub configuration', () => {
  let t: TestHub;
  beforeAll(async () => {
    certs = makeTestCerts({ clients: ['cuff-7'] });
    t = await startTestHub('postgres', { PULSEHUB_MQTTS_PORT: '0', PULSEHUB_TLS_CERT: certs.server.cert, PULSEHUB_TLS_KEY: certs.server.key, PULSEHUB_TLS_CA: certs.ca });
    await t.hub.store.users.upsert({ id: 'ana', name: 'Ana' });
    await t.hub.store.devices.upsert({ id: 'cuff-7', userId: 'ana', kind: 'cuff' });
  });
  afterAll(async () => {
    await t?.close();
    certs?.remove();
  });

  const tlsConnect = (opts: mqtt.IClientOptions) => {
    const c = mqtt.connect({ protocol: 'mqtts', host: '127.0.0.1', port: t.hub.mqtts!.port, ca: readFileSync(certs.ca), reconnectPeriod: 0, ...opts });
    return new Promise<mqtt.MqttClient>((resolve, reject) => (c.once('connect', () => resolve(c)), c.once('error', reject)));
  };

  it('carries a token-authenticated publish end to end', async () => {
    const c = await tlsConnect({ username: 'w-tls', password: await t.hub.mint({ subject: 'w-tls', kind: 'device', users: ['ana'] }) });
    await c.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 'tls-1', metric: 'heart_rate', values: { bpm: 77 } }), { qos: 1 });
    await waitFor(async () => (await t.hub.store.observations.latest('ana')).some((e) => e.id === 'tls-1'), { timeout: 5000, what: 'the TLS reading' });
    await c.endAsync();
  });

  it('authenticates a registered device by its client certificate alone, and stores its reading under its user', async () => {
    const c = await tlsConnect({ cert: readFileSync(certs.clients['cuff-7']!.cert), key: readFileSync(certs.clients['cuff-7']!.key) });
    await c.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 'cert-1', metric: 'heart_rate', values: { bpm: 66 } }), { qos: 1 });
    const stored = await waitFor(async () => (await t.hub.store.observations.latest('ana')).find((e) => e.id === 'cert-1'), { timeout: 5000, what: 'the certificate-authenticated reading' });
    expect(stored.deviceId).toBe('cuff-7');
    await c.endAsync();
  });

  it('refuses a partial TLS configuration at start, naming what is missing', () => {
    let err: unknown;
    try {
      loadConfig({ PULSEHUB_MQTTS_PORT: '8883', PULSEHUB_TLS_CERT: certs.server.cert });
    } catch (e) {
      err = e;
    }
    expect(isPulseHubError(err, 'PH_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain('PULSEHUB_TLS_KEY');
  });
});
