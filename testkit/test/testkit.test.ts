import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { makeTestCerts, startTestBroker, waitFor } from '@pulsehub/testkit';

describe('waitFor', () => {
  it('returns the first value that is neither undefined nor false', async () => {
    let n = 0;
    expect(await waitFor(() => (++n >= 3 ? `after ${n}` : undefined), { interval: 1 })).toBe('after 3');
  });

  it('fails after its timeout, naming what it waited for', async () => {
    const started = Date.now();
    await expect(waitFor(() => false, { timeout: 50, what: 'the impossible' })).rejects.toThrow(/timed out after 50 ms waiting for the impossible/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });
});

describe('makeTestCerts', () => {
  it('makes a CA, a server certificate for 127.0.0.1 and client certificates it signed; remove() deletes them', () => {
    const certs = makeTestCerts({ clients: ['cuff-7'] });
    const ca = new X509Certificate(readFileSync(certs.ca));
    const server = new X509Certificate(readFileSync(certs.server.cert));
    const client = new X509Certificate(readFileSync(certs.clients['cuff-7']!.cert));
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(client.subject).toContain('CN=cuff-7');
    expect(client.verify(ca.publicKey)).toBe(true);
    certs.remove();
    expect(existsSync(certs.dir)).toBe(false);
  });
});

describe('startTestBroker', () => {
  it('listens on a free port (not 1883) and accepts a device with a token it signed', async () => {
    await using b = await startTestBroker();
    expect(b.port).not.toBe(1883);
    const token = (await b.tokens.mint({ subject: 'w1', kind: 'device', users: ['ana'] })).token;
    const c = await mqtt.connectAsync(b.url, { username: 'w1', password: token, clientId: 'w1', reconnectPeriod: 0 });
    expect(c.connected).toBe(true);
    await c.endAsync();
  });
});
