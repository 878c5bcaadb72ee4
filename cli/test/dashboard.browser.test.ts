import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { eventsTopic } from '@pulsehub/contracts';
import { connectDevice, startTestHub, type TestHub, launchChromium } from '@pulsehub/testkit';

const ARTIFACTS = 'test-artifacts';

// The embedded default (PGlite) end to end, in a real headless Chromium.
describe('dashboard in headless Chromium (PGlite hub)', () => {
  let t: TestHub;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let watch: MqttClient;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestHub('pglite', { PULSEHUB_SILENCE_MS: '1500' });
    await t.hub.store.users.upsert({ id: 'ana', name: 'Ana Souza' });
    await t.hub.store.consents.grant('ana', 'coach-b');
    watch = await connectDevice(t.hub, 'w-ana', await t.hub.mint({ subject: 'w-ana', kind: 'device', users: ['ana'] }));
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await watch?.endAsync();
    await browser?.[Symbol.asyncDispose]();
    await t?.close();
  });

  it('renders live heart rate as it is published, then shows "no signal" after silence', async () => {
    const page = await browser.newPage();
    const coach = await t.hub.mint({ subject: 'coach-b', kind: 'coach', ttlSeconds: 600 });
    await page.goto(`${t.hub.http.url}/?token=${coach}`);
    const tile = page.locator('[data-athlete="ana"]');
    await tile.waitFor({ timeout: 10_000 });
    await expect.poll(() => tile.locator('.name').textContent()).toBe('Ana Souza');

    const latencies: number[] = [];
    for (const bpm of [101, 117, 133]) {
      const sentAt = Date.now();
      await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ metric: 'heart_rate', at: new Date().toISOString(), values: { bpm } }), { qos: 1 });
      await page.waitForFunction((v) => document.querySelector('[data-athlete="ana"] .value')?.textContent === String(v), bpm, { timeout: 5000 });
      latencies.push(Date.now() - sentAt);
    }
    console.log(`publish → DOM latency (ms): ${latencies.join(', ')}`);
    expect(await tile.getAttribute('data-state')).toBe('live');
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-live.png` });

    await page.waitForFunction(() => document.querySelector('[data-athlete="ana"]')?.getAttribute('data-state') === 'lost', undefined, { timeout: 6000 });
    expect(await tile.locator('.signal').isVisible()).toBe(true);
    expect(await tile.locator('.value').textContent()).toBe('133');
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-lost.png` });
  });

  it('asks for a token when none is given, and refuses a bad one', async () => {
    const page = await browser.newPage();
    await page.goto(`${t.hub.http.url}/`);
    await page.locator('#login').waitFor({ state: 'visible' });
    await page.getByLabel('Access token').fill('not-a-token');
    await page.getByRole('button', { name: 'Open board' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 5000 }).toContain('token refused');
  });
});
