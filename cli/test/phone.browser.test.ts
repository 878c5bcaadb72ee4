import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { eventsTopic } from '@pulsehub/contracts';
import { connectDevice, startTestHub, type TestHub, launchChromium } from '@pulsehub/testkit';

const ARTIFACTS = 'test-artifacts';

/** Whether the page scrolls sideways, and (for the message) the elements that stick out. */
async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number; culprits: string[] }> {
  return page.evaluate(() => {
    const de = document.documentElement;
    const culprits: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > de.clientWidth + 0.5) culprits.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''} → ${Math.round(r.right)}px`);
    }
    return { scrollWidth: Math.max(de.scrollWidth, document.body.scrollWidth), clientWidth: de.clientWidth, culprits: culprits.slice(0, 8) };
  });
}

// A 390×844 phone: every page fits its width (no sideways scrolling), and the athlete page's live
// chart starts with the last ten minutes from the history API.
describe('pages on a 390 px phone', () => {
  let t: TestHub;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let watch: MqttClient;
  let admin: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestHub('postgres');
    await t.hub.store.users.upsert({ id: 'ana', name: 'Ana Souza', birthYear: 1992 });
    await t.hub.store.consents.grant('ana', 'coach-p');
    await t.hub.store.devices.upsert({ id: 'w-ana', userId: 'ana', kind: 'watch', model: 'A watch with a rather long model name for the table' });
    watch = await connectDevice(t.hub, 'w-ana', await t.hub.mint({ subject: 'w-ana', kind: 'device', users: ['ana'] }));
    // Eight minutes of readings (one every 5 s) before any page opens.
    const now = Date.now();
    const readings = Array.from({ length: 96 }, (_, i) => ({ metric: 'heart_rate', at: new Date(now - 480_000 + i * 5000).toISOString(), values: { bpm: 90 + (i % 20) } }));
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ readings }), { qos: 1 });
    // A dead letter with a long payload, so the admin tables have wide content.
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ metric: 'heart_rate', values: { bpm: 999 }, note: 'x'.repeat(300) }), { qos: 1 });
    admin = await t.hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 });
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await watch?.endAsync();
    await browser?.[Symbol.asyncDispose]();
    await t?.close();
  });

  const phone = async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    return page;
  };

  it('the athlete page backfills the live chart from history and fits 390 px', async () => {
    const athlete = await t.hub.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 });
    const page = await phone();
    await page.goto(`${t.hub.http.url}/athlete.html?token=${athlete}`);
    await expect.poll(() => page.locator('#who').textContent()).toBe('Ana Souza');
    // No reading is published after the page opened: the points come from the history API.
    await expect.poll(() => page.locator('#live-chart').getAttribute('data-points'), { timeout: 10_000 }).not.toBeNull();
    expect(Number(await page.locator('#live-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(90);
    await page.locator('#make-overlay').waitFor();
    // With the overlay designer open too.
    await page.locator('#make-overlay').click();
    await page.locator('#overlay-preview').waitFor({ state: 'visible' });
    await page.screenshot({ path: `${ARTIFACTS}/athlete-390.png`, fullPage: true });
    const o = await horizontalOverflow(page);
    expect(o.scrollWidth, o.culprits.join('\n')).toBeLessThanOrEqual(o.clientWidth);
    await page.close();
  });

  for (const [name, path, ready] of [
    ['board', '/', '[data-athlete="ana"]'],
    ['admin', '/admin.html', '[data-list="deadletters"] tr'],
    ['overlay', '/overlay.html', '#bpm'],
  ] as const) {
    it(`${name} (${path}) has no horizontal scroll at 390×844`, async () => {
      const token = name === 'overlay'
        ? await t.hub.mint({ subject: 'ov-ana', kind: 'overlay', users: ['ana'], ttlSeconds: 600 })
        : name === 'board' ? await t.hub.mint({ subject: 'coach-p', kind: 'coach', ttlSeconds: 600 }) : admin;
      const page = await phone();
      await page.goto(`${t.hub.http.url}${path}?token=${token}`);
      await page.locator(ready).first().waitFor({ timeout: 10_000 });
      await page.waitForTimeout(300);
      await page.screenshot({ path: `${ARTIFACTS}/${name}-390.png`, fullPage: true });
      const o = await horizontalOverflow(page);
      expect(o.scrollWidth, o.culprits.join('\n')).toBeLessThanOrEqual(o.clientWidth);
      // Every page names an SVG favicon the hub serves.
      const icon = await page.locator('link[rel="icon"]').getAttribute('href');
      const res = await fetch(new URL(icon!, t.hub.http.url));
      expect([res.status, res.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
      await page.close();
    });
  }
});
