import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import mqtt from 'mqtt';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { PhoneDeviceResponse } from '@pulsehub/contracts';
import { LiveClient, startTestHub, waitFor, type TestHub } from './helpers.js';
import { CHROMIUM, ensurePagesBuilt } from './browser.js';

// The phone app (issue 18) in real headless Chromium against a real hub: Web Bluetooth through
// Chromium's emulated central (CDP BluetoothEmulation), the accelerometer through the sensor
// override, offline through the context's network emulation, the service worker for real.

const HRS = '0000180d-0000-1000-8000-00805f9b34fb';
const HRM = '00002a37-0000-1000-8000-00805f9b34fb';
const STRAP = '09:09:09:09:09:01';

/** A walking trace unlike the unit test's: a heel strike and a smaller toe-off per step, the phone in a pocket. */
function pocketWalk(steps: number, cadence: number, hz: number): { t: number; x: number; y: number; z: number }[] {
  const period = 60_000 / cadence;
  const lead = 1500;
  const out: { t: number; x: number; y: number; z: number }[] = [];
  let seed = 7;
  const rand = () => ((seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5);
  for (let t = 0; t <= lead * 2 + steps * period; t += 1000 / hz) {
    const w = t - lead;
    const ph = (w % period) / period;
    const walking = w >= 0 && w < steps * period;
    const a = walking ? 3.2 * Math.exp(-(((ph - 0.3) / 0.09) ** 2)) + 0.9 * Math.exp(-(((ph - 0.75) / 0.08) ** 2)) - 1.1 : 0;
    const g = 9.81 + a + 0.25 * rand();
    out.push({ t, x: 0.1 * g + 0.2 * rand(), y: -0.95 * g, z: 0.28 * g });
  }
  return out;
}

describe('the phone app at /app', () => {
  let t: TestHub;
  let browser: Browser;
  let sql: postgres.Sql;
  let phone: PhoneDeviceResponse;
  let base: string;

  const rows = (metric: string) =>
    sql<{ id: string; metric: string; values: Record<string, { value: number }>; series: Record<string, { values: number[] }> | null; received_at: Date }[]>`
      select id, metric, values, series, received_at from observations where user_id = 'ana' and device_id = ${phone.device.id} and metric = ${metric} order by txid, received_at, time_start`;

  beforeAll(async () => {
    ensurePagesBuilt();
    t = await startTestHub('postgres');
    sql = postgres(t.db.url!, { max: 1, onnotice: () => {} });
    await t.hub.store.upsertUser({ id: 'ana', name: 'Ana Souza', birthYear: 1992 });
    await t.hub.store.grantConsent('ana', 'coach-p');
    // Made the way the athlete page makes it: the athlete's own token, POST /api/phone-devices.
    const athlete = await t.hub.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 });
    const res = await fetch(`${t.hub.http.url}/api/phone-devices`, { method: 'POST', headers: { authorization: `Bearer ${athlete}`, 'content-type': 'application/json' }, body: JSON.stringify({ athleteId: 'ana' }) });
    expect(res.status).toBe(201);
    phone = (await res.json()) as PhoneDeviceResponse;
    // http://localhost is a secure context (Web Bluetooth, service workers, sensors need one).
    base = `http://localhost:${t.hub.http.port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--enable-experimental-web-platform-features'],
    });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await sql?.end();
    await t?.close();
  });

  const openApp = async (ctx: BrowserContext, signIn = true): Promise<Page> => {
    const page = await ctx.newPage();
    await page.goto(signIn ? `${base}${phone.url}` : `${base}/app/`);
    await page.locator('#hr-title').waitFor();
    return page;
  };
  const linkState = (page: Page) => page.evaluate(() => document.body.dataset.link ?? '');
  const waiting = (page: Page) => page.evaluate(() => Number(document.getElementById('waiting')!.textContent));

  it('is installable: a valid manifest, a service worker that controls the page, the shell offline after the first load, 390 px wide', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await openApp(ctx);
    const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
    const manifest = (await (await fetch(new URL(manifestHref!, base))).json()) as { name: string; short_name: string; start_url: string; scope: string; display: string; icons: { src: string; sizes: string; type: string; purpose?: string }[] };
    expect(manifest.display).toBe('standalone');
    expect(new URL(manifest.start_url, base).pathname.startsWith(new URL(manifest.scope, base).pathname)).toBe(true);
    expect(manifest.name.length).toBeGreaterThan(0);
    expect(manifest.short_name.length).toBeLessThanOrEqual(12);
    for (const size of ['192x192', '512x512']) {
      const icon = manifest.icons.find((i) => i.sizes === size && i.type === 'image/png');
      expect(icon, size).toBeDefined();
      const png = Buffer.from(await (await fetch(new URL(icon!.src, base))).arrayBuffer());
      // PNG signature, then IHDR width and height (big-endian at 16 and 20).
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(`${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`).toBe(size);
    }
    // The worker takes control of this very page (clients.claim), so no second load is needed.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
    expect(await page.evaluate(async () => (await navigator.serviceWorker.ready).scope)).toBe(`${base}/app/`);
    await waitFor(async () => (await linkState(page)) === 'online', 15_000, 'the MQTT link');

    const sideways = await page.evaluate(() => ({ scroll: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth), client: document.documentElement.clientWidth }));
    expect(sideways.scroll).toBeLessThanOrEqual(sideways.client);

    // Offline: the shell comes from the worker's cache and says it is offline.
    await ctx.setOffline(true);
    await page.reload();
    await page.locator('#hr-title').waitFor({ timeout: 10_000 });
    await waitFor(async () => (await linkState(page)) === 'offline', 10_000, 'the page to say it is offline');
    expect(await page.locator('#link').textContent()).toContain('offline');
    await ctx.setOffline(false);
    await ctx.close();
  }, 60_000);

  it('offline: readings and a breathing session wait in IndexedDB (even with the tab closed), then arrive once, in order', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const coach = await LiveClient.open(t.hub, await t.hub.mint({ subject: 'coach-p', kind: 'coach', ttlSeconds: 600 }));
    await coach.next('ready');
    coach.send({ type: 'subscribe', athletes: ['ana'] });
    await coach.next('subscribed');
    let page = await openApp(ctx);
    await waitFor(async () => (await linkState(page)) === 'online', 15_000, 'the MQTT link');
    await ctx.setOffline(true);
    await waitFor(async () => (await linkState(page)) === 'offline', 10_000, 'offline');

    // 1: a mood check-in. 2: a box-breathing session with moods before and after. 3: a stopwatch with a lap.
    await page.locator('#mood-before button[data-mood="2"]').click();
    await page.locator('#checkin').click();
    await page.locator('#mind-mode').selectOption('box');
    await page.locator('#mind-start').click();
    await page.waitForTimeout(1200); // a breathing session lasts some time; the exact length is not asserted
    await page.locator('#mind-finish').click();
    await page.locator('#mood-after button[data-mood="4"]').click();
    await page.locator('#mind-save').click();
    await page.locator('#sw-start').click();
    await page.locator('#sw-lap').click();
    await page.locator('#sw-stop').click();
    await waitFor(async () => (await waiting(page)) === 3, 5000, 'three waiting');
    expect(await rows('mindfulness')).toHaveLength(0);

    // Closing the tab keeps the queue (IndexedDB); a new tab, still offline, shows it.
    await page.close();
    page = await openApp(ctx, false);
    await waitFor(async () => (await waiting(page)) === 3, 5000, 'three waiting after reopening');
    expect(await rows('mindfulness')).toHaveLength(0);

    await ctx.setOffline(false);
    await waitFor(async () => (await waiting(page)) === 0, 20_000, 'the outbox to drain');
    const mind = await rows('mindfulness');
    const timers = await rows('timer_session');
    expect(mind.map((r) => r.values.kind?.value)).toEqual([2, 0]);
    expect(mind[0]!.values.mood_before?.value).toBe(2);
    expect(mind[1]!.values).toMatchObject({ mood_before: { value: 2 }, mood_after: { value: 4 } });
    expect(mind[1]!.values.duration!.value).toBeGreaterThan(0.01);
    expect(timers).toHaveLength(1);
    expect(timers[0]!.values).toMatchObject({ mode: { value: 0 }, laps: { value: 2 } });
    expect(timers[0]!.series?.laps?.values).toHaveLength(2);

    // In order: the coach's board got them as queued.
    const ids = [...mind, ...timers].map((r) => r.id);
    await waitFor(() => coach.messages.filter((m) => m.type === 'event' && ids.includes(m.event.id)).length === 3, 5000, 'three live events');
    const liveOrder = coach.messages.flatMap((m) => (m.type === 'event' && ids.includes(m.event.id) ? [m.event.metric + ':' + String(m.event.values.kind?.value ?? '')] : []));
    expect(liveOrder).toEqual(['mindfulness:2', 'mindfulness:0', 'timer_session:']);

    // Once: the same message again (a resend after a lost PUBACK) stores nothing new.
    const again = await mqtt.connectAsync({ host: t.hub.mqtt.host, port: t.hub.mqtt.port, username: phone.mqtt.username, password: phone.mqtt.password, reconnectPeriod: 0 });
    const first = mind[0]!;
    await again.publishAsync(phone.mqtt.topic, JSON.stringify({ id: first.id, metric: 'mindfulness', start: (await sql<{ s: Date }[]>`select time_start s from observations where id = ${first.id}`)[0]!.s.toISOString(), end: (await sql<{ e: Date }[]>`select time_end e from observations where id = ${first.id}`)[0]!.e.toISOString(), values: { duration: 0, kind: 2, mood_before: 2 } }), { qos: 1 });
    await again.endAsync();
    expect(await rows('mindfulness')).toHaveLength(2);
    coach.close();
    await ctx.close();
  }, 90_000);
});

