import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTokenService, generateSigningKey } from '@pulsehub/auth';
import { createBroker, type PulseHubBroker } from '@pulsehub/broker';
import { startIngest, type IngestService } from '@pulsehub/ingest';
import { PrivatePostgres } from '@pulsehub/testkit';
import { openStore, type Store } from '@pulsehub/store';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const DEVICES = 10;
const PER_DEVICE = 2500;
const TOTAL = DEVICES * PER_DEVICE;

describe('Postgres stops for 10 s in the middle of a stream', () => {
  const pg = new PrivatePostgres();
  let store: Store;
  let broker: PulseHubBroker;
  let ingest: IngestService;

  beforeAll(async () => {
    await pg.init();
    pg.start();
    store = await openStore({ kind: 'postgres', url: pg.url, maxConnections: 4 });
  }, 60_000);
  afterAll(async () => {
    await ingest?.close();
    await broker?.close();
    await store?.close();
    pg.destroy();
  });

  it('slows intake while the database is away and resumes without losing or doubling anything', async () => {
    const tokens = createTokenService({ current: generateSigningKey(), previous: [] });
    broker = await createBroker({ tokens, logger: log, rateLimits: false });
    const { port } = await broker.listen({ port: 0, host: '127.0.0.1' });
    ingest = startIngest({
      broker: { host: '127.0.0.1', port }, token: (await tokens.mint({ subject: 'pulsehub-ingest', kind: 'service' })).token,
      username: 'pulsehub-ingest', clientId: 'outage-ingest', store, logger: log, maxUnacked: 3000,
    });
    await ingest.ready();
    const devices = [];
    for (let i = 0; i < DEVICES; i++) devices.push({ deviceId: `ow${i}`, userId: `ou${i}`, token: (await tokens.mint({ subject: `ow${i}`, kind: 'device', users: [`ou${i}`] })).token });
    const input = { host: '127.0.0.1', port, devices, perDevice: PER_DEVICE, window: 500, startMs: Date.parse('2026-11-20T00:00:00Z'), prefix: 'outage', rate: 150, withoutIds: true };
    const publisher = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/ingest-publisher.ts'), JSON.stringify(input)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const publishedAll = new Promise<void>((resolve, reject) => publisher.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`publisher exited ${code}`)))));
    // Awaited below; if an assertion fails first, the publisher dies with the broker: not an unhandled rejection.
    publishedAll.catch(() => {});

    while ((await store.observations.count()) < 3000) await new Promise((r) => setTimeout(r, 50));
    pg.stop();
    // A commit the database finished just before it stopped may still be reported: settle first.
    await new Promise((r) => setTimeout(r, 1000));
    const before = ingest.stats;
    await new Promise((r) => setTimeout(r, 9000));
    const during = ingest.stats;
    // While the database is away nothing is acknowledged: intake stops at the unacked bound.
    expect(during.stored).toBe(before.stored);
    expect(during.failedCommits).toBeGreaterThan(before.failedCommits);
    // The consumer pauses its socket at the bound; the chunk already read (≤ 64 KiB, a few
    // hundred of these messages) is still parsed, so the bound holds to within one read.
    expect(during.unacked).toBeLessThanOrEqual(3000 + 500);
    pg.start();

    await publishedAll;
    const deadline = Date.now() + 30_000;
    while ((await store.observations.count().catch(() => 0)) < TOTAL && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    expect(await store.observations.count()).toBe(TOTAL);
    let counted = 0;
    for (const d of devices) for (const day of await store.history.daily({ userId: d.userId, from: '2026-11-19', to: '2026-11-21' })) counted += day.hrCount;
    expect(counted).toBe(TOTAL);
    expect(await store.deadLetters.list()).toEqual([]);
  }, 60_000);
});
