import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { generateSigningKey, createTokenService } from '@pulsehub/auth';
import { eventsTopic } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { spawnPulsehub, type PulsehubProcess } from './helpers.js';
import { LiveClient, waitFor } from '@pulsehub/testkit';

// Redis database 9 is this file's own: aedes-persistence-redis keys have no prefix option.
const REDIS_URL = 'redis://127.0.0.1:6379/9';
type Node = PulsehubProcess;
const startRole = spawnPulsehub;

const portIn = (line: string, scheme: string) => Number(new RegExp(`${scheme}://[^:]+:(\\d+)`).exec(line)![1]);

describe('one role per process: two brokers on one Redis, ingest on one, web on the other', () => {
  let db: TestDatabase;
  let store: Store;
  const nodes: Node[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-roles-'));
  const secret = generateSigningKey().secret;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    store = await openStore(db.target); // applies the migrations once before the roles start
    env = { DATABASE_URL: db.url!, REDIS_URL, PULSEHUB_JWT_SECRET: secret, PULSEHUB_JWT_KID: 'k1', PULSEHUB_DATA_DIR: dataDir, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0' };
    const a = await startRole('broker', env);
    const b = await startRole('broker', env);
    nodes.push(a, b);
    const ingest = await startRole('ingest', { ...env, PULSEHUB_BROKER_URL: `mqtt://127.0.0.1:${portIn(a.line, 'mqtt')}` });
    const web = await startRole('web', { ...env, PULSEHUB_BROKER_URL: `mqtt://127.0.0.1:${portIn(b.line, 'mqtt')}` });
    nodes.push(ingest, web);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => new Promise((r) => {
      n.proc.once('exit', r);
      n.proc.kill('SIGTERM');
    })));
    await store?.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a reading published on broker B is stored by ingest (on A) and streamed by web (on B)', async () => {
    const tokens = createTokenService({ current: { kid: 'k1', secret }, previous: [] });
    await store.users.upsert({ id: 'ana', name: 'Ana' });
    await store.consents.grant('ana', 'coach-r');
    const [brokerA, brokerB, , web] = nodes as [Node, Node, Node, Node];
    const webPort = portIn(web.line, 'http');
    const live = await LiveClient.open({ http: { port: webPort } } as never, (await tokens.mint({ subject: 'coach-r', kind: 'coach', ttlSeconds: 300 })).token);
    await live.next('ready');
    live.send({ type: 'subscribe', athletes: ['ana'] });
    await live.next('snapshot');

    const device = mqtt.connect({ port: portIn(brokerB.line, 'mqtt'), host: '127.0.0.1', username: 'w-r', password: (await tokens.mint({ subject: 'w-r', kind: 'device', users: ['ana'] })).token, reconnectPeriod: 0 });
    await new Promise((r, j) => (device.once('connect', r), device.once('error', j)));
    await device.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 'roles-1', metric: 'heart_rate', values: { bpm: 88 } }), { qos: 1 });

    const got = await live.next('event', (m) => m.event.id === 'roles-1', { timeout: 10_000 });
    expect(got.event.values.bpm?.value).toBe(88);
    await waitFor(async () => (await store.observations.count({ userId: 'ana' })) === 1, { timeout: 10_000, what: 'the row written by the ingest node' });
    expect(portIn(brokerA.line, 'mqtt')).not.toBe(portIn(brokerB.line, 'mqtt'));
    await device.endAsync();
    live.close();
  });
});
