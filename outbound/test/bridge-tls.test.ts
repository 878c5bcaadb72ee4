import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import pino from 'pino';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { createBridge, type Bridge, type BridgeOptions } from '@pulsehub/outbound';
import { makeTestCerts, PrivateMosquitto, waitFor, type TestCerts } from '@pulsehub/testkit';

// The bridge to a broker with TLS and a password (how a Home Assistant broker is usually
// reached from another machine): the CA option, the insecure option, and refusals.

describe('Home Assistant bridge over mqtts with credentials', () => {
  let db: TestDatabase;
  let store: Store;
  let certs: TestCerts;
  let broker: PrivateMosquitto;
  const user = { username: 'hub', password: randomBytes(12).toString('hex') };
  const bridges: { bridge: Bridge; dir: string }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    store = await openStore(db.target);
    await store.users.ensure(['ana']);
    await store.syncLog.grant('ana', 'bridge', 'ana');
    certs = makeTestCerts();
    broker = new PrivateMosquitto({ tls: certs.server, user });
    await broker.start();
  }, 60_000);
  afterAll(async () => {
    for (const b of bridges) {
      await b.bridge.stop();
      rmSync(b.dir, { recursive: true, force: true });
    }
    await broker?.destroy();
    certs?.remove();
    await store?.close();
    await db?.drop();
  });

  const start = async (o: Partial<BridgeOptions>) => {
    const dir = mkdtempSync(join(tmpdir(), 'ph-bridge-tls-'));
    const bridge = createBridge({ store, log: pino({ level: 'silent' }), url: broker.url, prefix: `tls-${randomBytes(3).toString('hex')}`, discoveryPrefix: 'ha-tls', queueDir: dir, queueMax: 1000, intervalMs: 50, ...o });
    bridges.push({ bridge, dir });
    await bridge.start();
    return bridge;
  };

  it('connects with the CA and the credentials, and not without them', async () => {
    // One bridge at a time: they share the database's lock, and a step's messages go out through the bridge that ran it.
    const ok = await start({ ca: readFileSync(certs.ca), ...user });
    await waitFor(() => ok.stats().connected, { what: 'connected over TLS' });
    const sub = await mqtt.connectAsync(broker.url, { ca: readFileSync(certs.ca), ...user });
    const got: string[] = [];
    sub.on('message', (_t, p) => got.push(p.toString()));
    await sub.subscribeAsync('#', { qos: 1 });
    await store.observations.commitBatch({ events: [{ id: 'tls-1', userId: 'ana', deviceId: 'w', metric: 'heart_rate', time: { at: '2026-11-05T10:00:00Z' }, values: { bpm: { value: 77, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: '2026-11-05T10:00:00Z' } }] });
    await waitFor(() => got.some((b) => b.includes('"value":77')), { what: 'the state over TLS' });
    await sub.endAsync();
    await ok.stop();

    const insecure = await start({ insecure: true, ...user });
    await waitFor(() => insecure.stats().connected, { what: 'connected, certificate not checked' });
    await insecure.stop();

    const noCa = await start({ ...user });
    const badPassword = await start({ ca: readFileSync(certs.ca), username: 'hub', password: 'wrong' });
    // Both take steps (so both try to connect) but are never let in.
    await waitFor(() => noCa.stats().steps > 2 && badPassword.stats().steps > 2, { what: 'steps of the refused bridges' });
    expect(noCa.stats().connected).toBe(false);
    expect(badPassword.stats().connected).toBe(false);
  }, 60_000);
});
