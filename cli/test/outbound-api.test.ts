import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { generateSigningKey, type Keyring } from '@pulsehub/auth';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { waitFor } from '@pulsehub/testkit';
import { loadConfig, startHub, type Hub } from '@pulsehub/cli';
import { startReferenceAnalyzer, type ReferenceAnalyzer } from '../../examples/analyzer/analyzer.js';

// Issue 14 through the running hub: the REST routes, their audit rows, the SSRF check at save
// time, and sync-now wired to the analyzer sync (the reference analyzer as a real server).

describe('outbound REST on a running hub', () => {
  let db: TestDatabase;
  let dataDir: string;
  let hub: Hub;
  let analyzer: ReferenceAnalyzer;
  let admin = '';
  let ana = '';
  let ben = '';
  const keyring: Keyring = { current: generateSigningKey(), previous: [] };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-outbound-'));
    analyzer = await startReferenceAnalyzer({ token: 'tok-123' });
    hub = await startHub({
      config: loadConfig({ PULSEHUB_DATA_DIR: dataDir, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0', PULSEHUB_ANALYZER_URL: analyzer.url, PULSEHUB_ANALYZER_TOKEN: 'tok-123', PULSEHUB_ANALYZER_INTERVAL_S: '0' }),
      keyring, storeTarget: db.target, logger: pino({ level: 'silent' }),
    });
    for (const id of ['ana', 'ben']) await hub.store.users.upsert({ id, name: id });
    admin = await hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 });
    ana = await hub.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 });
    ben = await hub.mint({ subject: 'ben', kind: 'athlete', users: ['ben'], ttlSeconds: 600 });
  });
  afterAll(async () => {
    await hub?.close();
    await analyzer?.close();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (token: string, method: string, url: string, payload?: object) => hub.web.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });

  it('an athlete manages their own webhooks; the secret is shown once; changes are audited', async () => {
    const res = await call(ana, 'POST', '/api/webhooks', { userId: 'ana', url: 'https://hooks.example.com/pulse', events: ['reading.stored'], metrics: ['heart_rate'] });
    expect(res.statusCode).toBe(201);
    const { webhook, secret } = res.json() as { webhook: { id: string }; secret: string };
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const list = (await call(ana, 'GET', '/api/webhooks')).json() as { webhooks: Record<string, unknown>[] };
    expect(list.webhooks.map((w) => w.id)).toEqual([webhook.id]);
    expect(JSON.stringify(list)).not.toContain(secret);
    expect((await call(ben, 'GET', `/api/webhooks/${webhook.id}`)).statusCode).toBe(403);
    expect((await call(ben, 'POST', '/api/webhooks', { userId: 'ana', url: 'https://x.example.com/', events: ['reading.stored'] })).statusCode).toBe(403);
    expect((await call(ana, 'PATCH', `/api/webhooks/${webhook.id}`, { active: false })).json()).toMatchObject({ webhook: { active: false } });
    expect((await call(ana, 'DELETE', `/api/webhooks/${webhook.id}`)).json()).toEqual({ deleted: true });
    const audit = await hub.store.audit.list({ limit: 100 });
    expect(audit.filter((a) => a.target === webhook.id).map((a) => a.action).sort()).toEqual(['webhook.create', 'webhook.delete', 'webhook.update']);
  });

  it('refuses internal addresses and bad URLs when saved', async () => {
    for (const [url, code] of [['http://127.0.0.1:5432/', 'PH_WEBHOOK_ADDRESS_REFUSED'], ['http://[::ffff:7f00:1]:6379/', 'PH_WEBHOOK_ADDRESS_REFUSED'], ['http://10.0.0.5/', 'PH_WEBHOOK_ADDRESS_REFUSED'], ['file:///etc/passwd', 'PH_WEBHOOK_URL_INVALID']] as const) {
      const res = await call(admin, 'POST', '/api/webhooks', { userId: 'ana', url, events: ['reading.stored'] });
      expect(res.json(), url).toMatchObject({ error: { code } });
    }
  });

  it('sync-now needs the consent, then sends to the analyzer and shows its insights', async () => {
    await hub.store.observations.commitBatch({ events: [{ id: 'hr-1', userId: 'ana', deviceId: 'w', metric: 'heart_rate', time: { at: '2026-11-20T10:00:00Z' }, values: { bpm: { value: 199, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: '2026-11-20T10:00:00Z' } }] });
    expect((await call(ana, 'POST', '/api/users/ana/sync-now')).json()).toMatchObject({ error: { code: 'PH_ANALYZER_NO_CONSENT' } });
    expect((await call(ana, 'PUT', '/api/users/ana/sharing-consents/analyzer')).json()).toMatchObject({ consent: { userId: 'ana', purpose: 'analyzer', revokedAt: null } });
    // A sync sends only rows below the oldest transaction still running on the server (the
    // delta-sync rule); other test files keep the shared server busy, so a run may find none yet.
    const run = await waitFor(async () => {
      const r = (await call(ana, 'POST', '/api/users/ana/sync-now')).json() as { run: { status: string; count: number; insights: number } };
      return r.run.count > 0 ? r : undefined;
    }, { timeout: 15_000, what: 'a sync run that sends the reading' });
    expect(run.run).toMatchObject({ status: 'ok', count: 1, insights: 1 });
    expect(analyzer.requests.at(-1)!.authorization).toBe('Bearer tok-123');
    expect((await call(ana, 'GET', '/api/users/ana/analyzer-insights')).json()).toMatchObject({ insights: [{ kind: 'hr_high', severity: 'warning', metric: 'heart_rate' }] });
    expect((await call(ben, 'GET', '/api/users/ana/analyzer-insights')).statusCode).toBe(403);
    const log = (await call(admin, 'GET', '/api/admin/sync-log')).json() as { runs: { userId: string; status: string; trigger: string }[] };
    expect(log.runs[0]).toMatchObject({ userId: 'ana', status: 'ok', trigger: 'manual' });
    expect((await call(ana, 'DELETE', '/api/users/ana/sharing-consents/analyzer')).json()).toEqual({ revoked: true });
    expect((await call(ana, 'POST', '/api/users/ana/sync-now')).json()).toMatchObject({ error: { code: 'PH_ANALYZER_NO_CONSENT' } });
  });
});
