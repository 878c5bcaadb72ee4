import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Keyring } from '@pulsehub/auth';
import { openStore } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { loadConfig, loadKeyring, startHub, tokenCommand, type Hub } from '@pulsehub/cli';

// Issue 11, defect 5 (and issue 16): `pulsehub token` never recorded its tokens, they never
// expired by default, and DELETE /api/tokens/:jti only marked rows that existed, so revoking
// a CLI-minted token did not survive a restart.

const HOUR = 3600;
const DAY = 86_400;

async function run(args: string[], config: ReturnType<typeof loadConfig>): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await tokenCommand(args, config, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}
const jtiOf = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string; exp?: number; iat: number; users: string[] });

describe('every token the CLI signs is recorded, expires by default and can be revoked for good', () => {
  let db: TestDatabase;
  let dataDir: string;
  let keyring: Keyring;
  let config: ReturnType<typeof loadConfig>;
  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-tokens-'));
    config = loadConfig({ PULSEHUB_DATA_DIR: dataDir, DATABASE_URL: (db.target as { url: string }).url, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0' });
    keyring = loadKeyring(config).keyring;
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('records the token with a default lifetime per kind (devices a year, admins 12 h) and honours --ttl', async () => {
    const device = await run(['device', 'w1', '--user', 'ana'], config);
    expect(device.code).toBe(0);
    const admin = await run(['admin', 'ops'], config);
    const short = await run(['coach', 'c1', '--ttl', '90'], config);
    const longer = await run(['coach', 'c2', '--ttl', '2d'], config);
    const now = Date.now() / 1000;
    const claims = [device, admin, short, longer].map((r) => jtiOf(r.out[0]!));
    expect(claims[0]!.exp! - now).toBeGreaterThan(364 * DAY);
    expect(claims[1]!.exp! - now).toBeGreaterThan(11.9 * HOUR);
    expect(claims[1]!.exp! - now).toBeLessThanOrEqual(12 * HOUR);
    expect(claims[2]!.exp! - claims[2]!.iat).toBe(90);
    expect(claims[3]!.exp! - claims[3]!.iat).toBe(2 * DAY);
    const store = await openStore(db.target);
    try {
      const rows = await store.tokens.list({ limit: 100 });
      for (const c of claims) expect(rows.find((r) => r.jti === c.jti)?.expiresAt?.getTime()).toBe(c.exp! * 1000);
    } finally {
      await store.close();
    }
  });

  it('an athlete token names its own user; a device token without --user says "a device token"', async () => {
    const athlete = await run(['athlete', 'ana'], config);
    expect(athlete.code).toBe(0);
    expect(jtiOf(athlete.out[0]!).users).toEqual(['ana']);
    const device = await run(['device', 'w2'], config);
    expect(device.code).toBe(2);
    expect(device.err.join('\n')).toMatch(/^a device token acts for a user/);
    const overlay = await run(['overlay', 'o1'], config);
    expect(overlay.err.join('\n')).toMatch(/^an overlay token acts for a user/);
    expect((await run(['admin', 'ops', '--ttl', 'soon'], config)).code).toBe(2);
  });

  it('a revoked CLI token (recorded or not) stays revoked after a restart, and the admin page lists it', async () => {
    const start = () => startHub({ config, keyring, logger: pino({ level: 'silent' }), storeTarget: db.target });
    const recorded = (await run(['admin', 'ops'], config)).out[0]!;
    let hub: Hub = await start();
    const offline = (await hub.tokens.mint({ subject: 'ops2', kind: 'admin', ttlSeconds: 3600 })).token; // signed with the keys, never recorded
    const api = (token: string, path: string, method = 'GET') => fetch(`${hub.http.url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
    try {
      const listed = (await (await api(recorded, '/api/admin/tokens')).json()) as { tokens: { jti: string; kind: string; expiresAt: string | null }[] };
      expect(listed.tokens.find((t) => t.jti === jtiOf(recorded).jti)).toMatchObject({ kind: 'admin' });
      expect((await api(recorded, `/api/tokens/${jtiOf(offline).jti}`, 'DELETE')).status).toBe(204);
      expect((await api(offline, `/api/tokens/${jtiOf(recorded).jti}`, 'DELETE')).status).toBe(401);
      const admin = await hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 });
      expect((await api(admin, `/api/tokens/${jtiOf(recorded).jti}`, 'DELETE')).status).toBe(204);
    } finally {
      await hub.close();
    }
    hub = await start();
    try {
      expect((await api(recorded, '/api/admin/users')).status).toBe(401);
      expect((await api(offline, '/api/admin/users')).status).toBe(401);
    } finally {
      await hub.close();
    }
  });

  it('while a PGlite hub holds the data directory, the CLI asks the running hub over REST, which records the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulsehub-tokens-pglite-'));
    const pconfig = loadConfig({ PULSEHUB_DATA_DIR: dir, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0' });
    const hub = await startHub({ config: pconfig, keyring: loadKeyring(pconfig).keyring, logger: pino({ level: 'silent' }) });
    try {
      const r = await run(['device', 'w9', '--user', 'ana', '--url', hub.http.url], pconfig);
      expect(r.err).toEqual([]);
      expect(r.code).toBe(0);
      const { jti, exp } = jtiOf(r.out[0]!);
      const rows = await hub.store.tokens.list({ limit: 100 });
      expect(rows.find((t) => t.jti === jti)?.expiresAt?.getTime()).toBe(exp! * 1000);
    } finally {
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
