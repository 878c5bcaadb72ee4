import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { sql } from 'drizzle-orm';
import { createTokenService, generateSigningKey } from '@pulsehub/auth';
import { eventsTopic } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, queryStore, type TestDatabase } from '@pulsehub/store/testing';
import { spawnPulsehub } from './helpers.js';
import { waitFor } from '@pulsehub/testkit';

/** `pulsehub start` as a process of its own, so it can be killed outright. */
const startHubProcess = async (env: Record<string, string>): Promise<ChildProcess> => (await spawnPulsehub('start', env)).proc;

describe('embedded hub killed mid-stream (SIGKILL): no acknowledged reading is lost, none is stored twice', () => {
  let db: TestDatabase;
  let store: Store;
  const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-crash-'));
  const secret = generateSigningKey().secret;
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  let env: Record<string, string>;
  let hub: ChildProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    store = await openStore(db.target);
    env = { DATABASE_URL: db.url!, PULSEHUB_JWT_SECRET: secret, PULSEHUB_DATA_DIR: dataDir, PULSEHUB_MQTT_PORT: String(port), PULSEHUB_HTTP_PORT: '0' };
  });
  afterAll(async () => {
    hub?.kill('SIGKILL');
    await store?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every reading the device saw acknowledged is stored when the hub dies; after a restart the rest arrive once', async () => {
    const N = 3000;
    hub = await startHubProcess(env);
    const token = (await createTokenService({ current: { kid: 'k1', secret }, previous: [] }).mint({ subject: 'gw-crash', kind: 'gateway', users: ['ana'] })).token;
    // A gateway replaying its store-and-forward queue: many readings in flight at once.
    const device = mqtt.connect({ host: '127.0.0.1', port, username: 'gw-crash', password: token, clientId: 'gw-crash', clean: false, reconnectPeriod: 200 });
    await new Promise((r, j) => (device.once('connect', r), device.once('error', j)));
    const acked = new Set<string>();
    const sendAll = Array.from({ length: N }, (_, i) => {
      const id = `crash-${i}`;
      return device.publishAsync(eventsTopic('ana'), JSON.stringify({ id, metric: 'heart_rate', at: new Date(Date.UTC(2026, 10, 22, 6, 0, 0, i * 10)).toISOString(), values: { bpm: 60 + (i % 90) } }), { qos: 1 }).then(() => void acked.add(id));
    });
    await waitFor(() => acked.size >= N / 5, { timeout: 30_000, what: 'a fifth of the readings acknowledged' });
    hub.kill('SIGKILL');
    await new Promise((r) => hub!.once('exit', r));
    const ackedAtCrash = [...acked];

    const stored = new Set(await listIds(store));
    const lost = ackedAtCrash.filter((id) => !stored.has(id));
    expect(lost).toEqual([]);
    expect(ackedAtCrash.length).toBeLessThan(N); // it really died mid-stream

    hub = await startHubProcess(env);
    await Promise.all(sendAll);
    await waitFor(async () => (await store.observations.count({ userId: 'ana' })) >= N, { timeout: 30_000, what: 'every reading after the restart' });
    expect(await store.observations.count({ userId: 'ana' })).toBe(N);
    await device.endAsync();
  }, 90_000);
});

async function listIds(store: Store): Promise<string[]> {
  return (await queryStore<{ id: string }>(store, sql`select id from observations`)).map((x) => x.id);
}
