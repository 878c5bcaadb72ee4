import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { createTokenService, generateSigningKey } from '@pulsehub/auth';
import type { PulseHubBroker } from '@pulsehub/broker';
import { liveTopic } from '@pulsehub/contracts';
import { startEmbeddedIngest, type EmbeddedIngest } from '@pulsehub/ingest';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { startTestBroker, waitFor } from '@pulsehub/testkit';

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

// The shape `pulsehub start` runs: ingest owned by this package, handed to the broker as its
// `intake` factory; no broker holder in the caller.
describe('startEmbeddedIngest: ingest inside the broker', () => {
  let tdb: TestDatabase;
  let store: Store;
  let ingest: EmbeddedIngest;
  let broker: PulseHubBroker;
  const clients: MqttClient[] = [];
  const tokens = createTokenService({ current: generateSigningKey(), previous: [] });
  let port: number;

  beforeAll(async () => {
    tdb = await createTestDatabase('pglite');
    store = await openStore(tdb.target);
    ingest = startEmbeddedIngest({ store, logger: log, rollupRefreshMs: 600_000 });
    ({ broker, port } = await startTestBroker({ tokens, logger: log, intake: ingest.intake }));
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) await c.endAsync();
    await ingest?.close();
    await broker?.close();
    await store?.close();
    await tdb?.drop();
  });

  const connect = async (username: string, token: string) => {
    const c = mqtt.connect({ host: '127.0.0.1', port, username, password: token, clientId: username, reconnectPeriod: 0 });
    clients.push(c);
    await new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('error', reject); });
    return c;
  };

  it('stores a reading before its PUBACK and publishes it live on the broker it runs in', async () => {
    const viewer = await connect('ana', (await tokens.mint({ subject: 'ana', kind: 'athlete', users: ['ana'] })).token);
    const live: string[] = [];
    viewer.on('message', (_t, p) => live.push(p.toString()));
    await viewer.subscribeAsync(liveTopic('ana'), { qos: 0 });
    const watch = await connect('w-emb', (await tokens.mint({ subject: 'w-emb', kind: 'device', users: ['ana'] })).token);
    const reading = { id: 'emb-1', metric: 'heart_rate', at: new Date().toISOString(), values: { bpm: 64 } };
    await watch.publishAsync('users/ana/events', JSON.stringify(reading), { qos: 1 });
    // The PUBACK came back: the reading is already stored.
    expect(await store.observations.count({ userId: 'ana' })).toBe(1);
    await waitFor(() => live.some((m) => m.includes('emb-1')), { what: 'the live event' });
    expect(ingest.stats).toMatchObject({ accepted: 1, stored: 1, unacked: 0 });
    expect(ingest.health.ok).toBe(true);
  });

  it('binds to one broker only', () => {
    expect(() => ingest.intake(() => {})).toThrow(/already bound/);
  });
});
