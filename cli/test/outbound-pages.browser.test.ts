import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { BrowserContext } from 'playwright-core';
import { generateSigningKey } from '@pulsehub/auth';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { loadConfig, startHub, type Hub } from '@pulsehub/cli';
import { startReferenceAnalyzer, type ReferenceAnalyzer } from '../../examples/analyzer/analyzer.js';
import { launchChromium } from '@pulsehub/testkit';

// Issue 14 in real Chromium: the admin page lists webhooks, deliveries and sync runs; the athlete
// page shows an insight pushed live when a sync stores it.

describe('outbound on the pages', () => {
  let db: TestDatabase;
  let dataDir: string;
  let hub: Hub;
  let analyzer: ReferenceAnalyzer;
  let browser: BrowserContext & AsyncDisposable;
  let admin = '';
  let ana = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-outpages-'));
    analyzer = await startReferenceAnalyzer();
    hub = await startHub({
      config: loadConfig({ PULSEHUB_DATA_DIR: dataDir, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0', PULSEHUB_ANALYZER_URL: analyzer.url, PULSEHUB_ANALYZER_INTERVAL_S: '0' }),
      keyring: { current: generateSigningKey(), previous: [] }, storeTarget: db.target, logger: pino({ level: 'silent' }),
    });
    await hub.store.users.upsert({ id: 'ana', name: 'Ana' });
    admin = await hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 });
    ana = await hub.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.[Symbol.asyncDispose]();
    await hub?.close();
    await analyzer?.close();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('athlete page: an insight from a sync appears live', async () => {
    await hub.store.syncLog.grant('ana', 'analyzer', 'ana');
    await hub.store.observations.commitBatch({ events: [{ id: 'hr-1', userId: 'ana', deviceId: 'w', metric: 'heart_rate', time: { at: new Date().toISOString() }, values: { bpm: { value: 201, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: new Date().toISOString() } }] });
    const page = await browser.newPage();
    await page.goto(`${hub.http.url}/athlete.html?token=${ana}&athlete=ana`);
    await expect.poll(() => page.locator('#who').textContent(), { timeout: 10_000 }).toBe('Ana');
    expect(await page.locator('#insights-card').isHidden()).toBe(true);
    const res = await hub.web.app.inject({ method: 'POST', url: '/api/users/ana/sync-now', headers: { authorization: `Bearer ${ana}` } });
    expect(res.json()).toMatchObject({ run: { status: 'ok', insights: 1 } });
    await expect.poll(() => page.locator('#insights [data-kind="hr_high"]').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('#insights li').first().textContent()).toContain('Very high heart rate');
    await page.close();
  });

  it('admin page: webhooks, their delivery log and the sync log', async () => {
    const created = await hub.web.app.inject({ method: 'POST', url: '/api/webhooks', headers: { authorization: `Bearer ${admin}` }, payload: { userId: 'ana', url: 'https://hooks.example.com/pulse', events: ['reading.stored'], windowMs: 0 } });
    expect(created.statusCode).toBe(201);
    const page = await browser.newPage();
    await page.goto(`${hub.http.url}/admin.html?token=${admin}`);
    await expect.poll(() => page.locator('[data-list="webhooks"]').textContent(), { timeout: 10_000 }).toContain('https://hooks.example.com/pulse');
    await expect.poll(() => page.locator('[data-list="synclog"]').textContent(), { timeout: 10_000 }).toContain('manual');
    expect(await page.locator('[data-list="synclog"]').textContent()).toContain('ok');
    await page.close();
  });
});
