import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenService, rotateKeyring } from '@pulsehub/auth';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { hubAddresses, keyringForRunningHub, loadConfig, loadKeyring, readRuntimePorts, runtimeFilePath, startHub, type Hub } from '@pulsehub/cli';
import { deadlettersCommand } from '../src/deadletters-command.js';
import { waitFor } from '@pulsehub/testkit';

const MAIN = join(import.meta.dirname, '../src/main.ts');
const run = promisify(execFile);
const pulsehub = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['--import', 'tsx', '--conditions=source', MAIN, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 20_000 });

/** Holds a free high port, as a Mosquitto on 1883 would hold the default (the real 1883 is never touched). */
async function holdPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

describe('the hub records the ports it bound; the CLI uses them', () => {
  let dataDir: string;
  let db: TestDatabase;
  let held: { server: Server; port: number };
  let hub: Hub;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-ports-'));
    db = await createTestDatabase('postgres');
    held = await holdPort();
    const env = loadConfig({ PULSEHUB_DATA_DIR: dataDir, PULSEHUB_HTTP_PORT: '0' });
    // The held port plays the default MQTT port (not chosen by the user, so the hub may move).
    const config = { ...env, mqtt: { host: '127.0.0.1', port: held.port, portExplicit: false } };
    const { keyring, path } = loadKeyring(config);
    hub = await startHub({ config, keyring, keyringFile: path!, storeTarget: db.target, logger: pino({ level: 'silent' }) });
  }, 30_000);

  afterAll(async () => {
    await hub?.close();
    held?.server.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('takes the next port, says so plainly, and writes ports.json with mode 0600', () => {
    expect(hub.mqtt.port).not.toBe(held.port);
    expect(hub.notes[0]).toMatch(new RegExp(`^MQTT on ${hub.mqtt.port} — ${held.port} was taken`));
    const file = runtimeFilePath(dataDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const written = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; mqtt: { port: number; moved: boolean }; http: { port: number } };
    expect(written).toMatchObject({ pid: process.pid, mqtt: { port: hub.mqtt.port, configured: held.port, moved: true }, http: { port: hub.http.port, moved: false } });
  });

  it('CLI commands reach the ports the hub bound, not the configured ones', async () => {
    // A fresh process whose configuration says 1883 (the default) still finds the hub.
    const { stdout } = await pulsehub(['port', 'mqtt'], { PULSEHUB_DATA_DIR: dataDir });
    expect(stdout.trim()).toBe(String(hub.mqtt.port));
    expect(hubAddresses(loadConfig({ PULSEHUB_DATA_DIR: dataDir })).http.port).toBe(hub.http.port);
    // deadletters talks HTTP to the hub: the configured HTTP port is 0, only ports.json knows the real one.
    const lines: string[] = [];
    expect(await deadlettersCommand(['list'], loadConfig({ PULSEHUB_DATA_DIR: dataDir, PULSEHUB_HTTP_PORT: '0' }), (l) => lines.push(l))).toBe(0);
    expect(lines.at(-1)).toBe('0 dead letter(s)');
  }, 30_000);

  it('simulate publishes to the hub it found, and says where (not "to null")', async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', MAIN, 'simulate', '--devices', '1', '--rate', '5', '--prefix', 'portsim'], {
      env: { ...process.env, LOG_LEVEL: 'warn', PULSEHUB_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      proc.stdout.on('data', (d) => (out += d));
      const line = await waitFor(() => out.split('\n').find((l) => l.includes('publishing')), { timeout: 20_000, what: 'the simulate banner' });
      expect(line).toContain(`to mqtt://127.0.0.1:${hub.mqtt.port} (the running hub`);
      expect(line).not.toContain('null');
      await waitFor(async () => (await hub.store.observations.latest('portsim-0')).length > 0, { timeout: 10_000, what: 'a simulated reading stored by this hub' });
    } finally {
      proc.kill('SIGINT');
    }
  }, 40_000);

  it('after keys rotate, tokens the CLI signs are accepted at once, and the hub loads the new key', async () => {
    const config = loadConfig({ PULSEHUB_DATA_DIR: dataDir });
    const before = loadKeyring(config);
    const rotated = rotateKeyring(before.keyring);
    writeFileSync(before.path!, JSON.stringify({ keyring: rotated }, null, 2), { mode: 0o600 });
    // Right after the rotation: signed with a key the running hub knows.
    const cli = createTokenService(keyringForRunningHub(config, loadKeyring(config).keyring));
    await expect(hub.tokens.verify((await cli.mint({ subject: 'pulsehub-cli', kind: 'admin', ttlSeconds: 60 })).token)).resolves.toMatchObject({ kind: 'admin' });
    // The hub picks the rotation up live; ports.json then names the new key.
    await waitFor(() => readRuntimePorts(dataDir)?.kid === rotated.current.kid, { timeout: 5000, what: 'the hub to load the rotated key' });
    const fresh = createTokenService(keyringForRunningHub(config, loadKeyring(config).keyring));
    const minted = await fresh.mint({ subject: 'pulsehub-cli', kind: 'admin', ttlSeconds: 60 });
    expect(JSON.parse(Buffer.from(minted.token.split('.')[0]!, 'base64url').toString()).kid).toBe(rotated.current.kid);
    await expect(hub.tokens.verify(minted.token)).resolves.toMatchObject({ kind: 'admin' });
    const lines: string[] = [];
    expect(await deadlettersCommand(['list'], config, (l) => lines.push(l))).toBe(0);
  });

  it('a file left by a process that is gone is stale; closing the hub removes it', async () => {
    const file = runtimeFilePath(dataDir);
    const mine = readFileSync(file, 'utf8');
    writeFileSync(file, mine.replace(`"pid": ${process.pid}`, '"pid": 2147483646'));
    expect(readRuntimePorts(dataDir)).toBeUndefined();
    expect(hubAddresses(loadConfig({ PULSEHUB_DATA_DIR: dataDir })).mqtt.port).toBe(1883);
    writeFileSync(file, mine);
    await hub.close();
    expect(existsSync(file)).toBe(false);
  });
});
