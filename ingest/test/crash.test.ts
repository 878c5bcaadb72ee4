import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTokenService, generateSigningKey } from '@pulsehub/auth';
import { createBroker, type PulseHubBroker } from '@pulsehub/broker';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEVICES = 10;
const PER_DEVICE = 5000;
const TOTAL = DEVICES * PER_DEVICE;
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Starts `pulsehub ingest` (the standalone role) and resolves once it consumes. */
function startIngestProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', join(ROOT, 'cli/src/main.ts'), 'ingest'], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ingest consuming')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`ingest exited ${code} before consuming: ${err}`)));
  });
}

describe('SIGKILL of the ingest process in the middle of 50,000 QoS 1 events', () => {
  let tdb: TestDatabase;
  let store: Store;
  let broker: PulseHubBroker;
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    store = await openStore(tdb.target);
    dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-crash-'));
  }, 60_000);
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await broker?.close();
    await store?.close();
    await tdb?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores every event exactly once after a restart: the broker keeps the session, writes are idempotent, rollups count once', async () => {
    const key = generateSigningKey();
    const tokens = createTokenService({ current: key, previous: [] });
    // The broker outlives the ingest process, as a separate broker node would; it keeps the
    // ingest's persistent session (clean = 0) and its unacknowledged messages [MQTT-3.1.2-4].
    broker = await createBroker({ tokens, logger: log, rateLimits: false });
    const { port } = await broker.listen({ port: 0, host: '127.0.0.1' });
    const env = {
      DATABASE_URL: tdb.url!, PULSEHUB_JWT_SECRET: key.secret, PULSEHUB_JWT_KID: key.kid, PULSEHUB_BROKER_URL: `mqtt://127.0.0.1:${port}`,
      PULSEHUB_DATA_DIR: dataDir, PULSEHUB_INGEST_ID: 'crash-ingest', LOG_LEVEL: 'warn',
    };
    children.push(await startIngestProcess(env));

    const devices = [];
    for (let i = 0; i < DEVICES; i++) devices.push({ deviceId: `cw${i}`, userId: `cu${i}`, token: (await tokens.mint({ subject: `cw${i}`, kind: 'device', users: [`cu${i}`] })).token });
    const input = { host: '127.0.0.1', port, devices, perDevice: PER_DEVICE, window: 500, startMs: Date.parse('2026-11-20T00:00:00Z'), prefix: 'crash', rate: 700, withoutIds: true };
    const publisher = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/ingest-publisher.ts'), JSON.stringify(input)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(publisher);
    let published = false;
    const publishedAll = new Promise<void>((resolve, reject) => publisher.once('exit', (code) => (code === 0 ? ((published = true), resolve()) : reject(new Error(`publisher exited ${code}`)))));

    // Kill ingest once a good part of the stream is stored, while the rest is still coming.
    let atKill = 0;
    for (;;) {
      atKill = await store.observations.count();
      if (atKill >= 12_000) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    children[0]!.kill('SIGKILL');
    await new Promise((r) => children[0]!.once('exit', r));
    expect(published).toBe(false);
    expect(atKill).toBeLessThan(TOTAL);
    await new Promise((r) => setTimeout(r, 500)); // messages pile up for the offline session
    children.push(await startIngestProcess(env));

    await publishedAll;
    const deadline = Date.now() + 40_000;
    while ((await store.observations.count()) < TOTAL && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500)); // anything beyond TOTAL would show now
    expect(await store.observations.count()).toBe(TOTAL);
    for (const d of devices) expect(await store.observations.count({ userId: d.userId })).toBe(PER_DEVICE);
    // The rollup is updated in the statement that stores the rows: a batch committed before
    // the kill and redelivered after it must not count twice.
    let counted = 0;
    for (const d of devices) for (const day of await store.history.daily({ userId: d.userId, from: '2026-11-19', to: '2026-11-21' })) counted += day.hrCount;
    expect(counted).toBe(TOTAL);
    expect(await store.deadLetters.list()).toEqual([]);
  }, 60_000);
});
