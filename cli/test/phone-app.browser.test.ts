import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import mqtt from 'mqtt';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { PhoneDeviceResponse } from '@pulsehub/contracts';
import { CHROMIUM, ensurePagesBuilt, LiveClient, startTestHub, waitFor, type TestHub } from '@pulsehub/testkit';

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
    await t.hub.store.users.upsert({ id: 'ana', name: 'Ana Souza', birthYear: 1992 });
    await t.hub.store.consents.grant('ana', 'coach-p');
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
    await waitFor(async () => (await linkState(page)) === 'online', { timeout: 15_000, what: 'the MQTT link' });

    const sideways = await page.evaluate(() => ({ scroll: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth), client: document.documentElement.clientWidth }));
    expect(sideways.scroll).toBeLessThanOrEqual(sideways.client);

    // Offline: the shell comes from the worker's cache and says it is offline.
    await ctx.setOffline(true);
    await page.reload();
    await page.locator('#hr-title').waitFor({ timeout: 10_000 });
    await waitFor(async () => (await linkState(page)) === 'offline', { timeout: 10_000, what: 'the page to say it is offline' });
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
    await waitFor(async () => (await linkState(page)) === 'online', { timeout: 15_000, what: 'the MQTT link' });
    // The tab reopened offline below is served by the worker: it must have installed its cache.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 15_000 });
    await ctx.setOffline(true);
    await waitFor(async () => (await linkState(page)) === 'offline', { timeout: 10_000, what: 'offline' });

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
    await waitFor(async () => (await waiting(page)) === 3, { timeout: 5000, what: 'three waiting' });
    expect(await rows('mindfulness')).toHaveLength(0);

    // Closing the tab keeps the queue (IndexedDB); a new tab, still offline, shows it.
    await page.close();
    page = await openApp(ctx, false);
    await waitFor(async () => (await waiting(page)) === 3, { timeout: 5000, what: 'three waiting after reopening' });
    expect(await rows('mindfulness')).toHaveLength(0);

    await ctx.setOffline(false);
    await waitFor(async () => (await waiting(page)) === 0, { timeout: 20_000, what: 'the outbox to drain' });
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
    await waitFor(() => coach.messages.filter((m) => m.type === 'event' && ids.includes(m.event.id)).length === 3, { timeout: 5000, what: 'three live events' });
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

  it('counts steps from the accelerometer (CDP sensor override) within 5 % of a walking trace', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await ctx.grantPermissions(['accelerometer'], { origin: base });
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Emulation.setSensorOverrideEnabled', { enabled: true, type: 'accelerometer', metadata: { available: true, minimumFrequency: 1, maximumFrequency: 60 } });
    await cdp.send('Emulation.setSensorOverrideReadings', { type: 'accelerometer', reading: { xyz: { x: 0.98, y: -9.32, z: 2.75 } } });
    await page.goto(`${base}${phone.url}`);
    await waitFor(async () => (await page.locator('#motion-state').getAttribute('data-source')) ?? undefined, { timeout: 10_000, what: 'the motion sensor' });
    expect(await page.locator('#motion-state').getAttribute('data-source')).toBe('accelerometer');

    // 40 steps at 100/min, sampled at 25 Hz, played in real time: the page's sensor reads the
    // override as the phone's would read its accelerometer. Timing follows the wall clock, so a
    // slow machine delays samples but does not squeeze them.
    const STEPS = 40;
    const trace = pocketWalk(STEPS, 100, 25);
    const t0 = Date.now();
    for (const s of trace) {
      const wait = t0 + s.t - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await cdp.send('Emulation.setSensorOverrideReadings', { type: 'accelerometer', reading: { xyz: { x: s.x, y: s.y, z: s.z } } });
    }
    const counted = await waitFor(async () => {
      const n = Number(await page.locator('#steps').textContent());
      return n >= STEPS * 0.95 ? n : undefined;
    }, { timeout: 5000, what: 'the steps to be counted' }).catch(async () => Number(await page.locator('#steps').textContent()));
    expect(Math.abs(counted - STEPS) / STEPS, `counted ${counted} of ${STEPS}`).toBeLessThanOrEqual(0.05);

    // The count becomes an interval steps reading on the hub.
    await page.locator('#steps-save').click();
    await waitFor(async () => (await rows('steps')).length > 0, { timeout: 15_000, what: 'a steps reading' });
    const stored = (await rows('steps')).reduce((s, r) => s + (r.values.count?.value ?? 0), 0);
    expect(stored).toBe(counted);
    await ctx.close();
  }, 120_000);

  it('says so when the browser gives no motion sensor, and counts nothing', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Emulation.setSensorOverrideEnabled', { enabled: true, type: 'accelerometer', metadata: { available: false } });
    await page.goto(`${base}${phone.url}`);
    await waitFor(async () => (await page.locator('#motion-state').getAttribute('data-source')) ?? undefined, { timeout: 15_000, what: 'the sensor check' });
    expect(await page.locator('#motion-state').getAttribute('data-source')).toBe('none');
    expect(await page.locator('#motion-note').textContent()).toContain('no motion sensor');
    expect(await page.locator('#steps').textContent()).toBe('0');
    await ctx.close();
  }, 60_000);

  it('streams a chest strap over Web Bluetooth (CDP BluetoothEmulation): the reading reaches a coach over /live, RR reaches storage, and it reconnects by itself', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const bt = await browser.newBrowserCDPSession();
    await bt.send('BluetoothEmulation.enable', { state: 'powered-on', leSupported: true });
    await bt.send('BluetoothEmulation.simulatePreconnectedPeripheral', { address: STRAP, name: 'HRM-Pro', manufacturerData: [], knownServiceUuids: [HRS] });
    let reads = 0;
    const ops: string[] = [];
    // The strap's GATT table: Heart Rate service, its measurement characteristic (notify; read
    // too, see below) with the Client Characteristic Configuration descriptor (0x2902). The
    // emulated peripheral forgets its services when it disconnects, as a real one's handles are
    // rediscovered, so it is exposed again before each reconnection.
    const exposeHeartRateService = async () => {
      const { serviceId } = await bt.send('BluetoothEmulation.addService', { address: STRAP, serviceUuid: HRS });
      const { characteristicId } = await bt.send('BluetoothEmulation.addCharacteristic', { serviceId, characteristicUuid: HRM, properties: { notify: true, read: true } });
      await bt.send('BluetoothEmulation.addDescriptor', { characteristicId, descriptorUuid: '00002902-0000-1000-8000-00805f9b34fb' });
    };
    await exposeHeartRateService();
    bt.on('BluetoothEmulation.descriptorOperationReceived', (e) => {
      ops.push(`descriptor-${e.type}`);
      void bt.send('BluetoothEmulation.simulateDescriptorOperationResponse', { descriptorId: e.descriptorId, type: e.type, code: 0, ...(e.type === 'read' ? { data: Buffer.from([0, 0]).toString('base64') } : {}) });
    });
    // Missing in Chromium 156: BluetoothEmulation has no command to send a notification (its
    // commands answer the page's operations: connection, discovery, read, write, subscribe). So
    // the closest real path is used: the page subscribes (answered here), and the values come as
    // answers to its read of 0x2A37 on each connection, which fires the same
    // `characteristicvaluechanged` event a notification does, through the same decoder.
    // Real 0x2A37 values: flags 0x16 = uint8 bpm, contact detected, RR present; RR in 1/1024 s.
    const measurements = [
      Buffer.from([0x16, 142, 0xb0, 0x01, 0xb4, 0x01]), // 142 bpm, RR 432 and 436 /1024 s
      Buffer.from([0x16, 145, 0xa8, 0x01]), // 145 bpm, RR 424 /1024 s
    ];
    bt.on('BluetoothEmulation.gattOperationReceived', (e) => {
      ops.push(e.type);
      void bt.send('BluetoothEmulation.simulateGATTOperationResponse', { address: e.address, type: e.type, code: 0 });
    });
    bt.on('BluetoothEmulation.characteristicOperationReceived', (e) => {
      ops.push(e.type);
      const data = e.type === 'read' ? measurements[Math.min(reads++, measurements.length - 1)]!.toString('base64') : undefined;
      void bt.send('BluetoothEmulation.simulateCharacteristicOperationResponse', { characteristicId: e.characteristicId, type: e.type, code: 0, ...(data ? { data } : {}) });
    });

    const coach = await LiveClient.open(t.hub, await t.hub.mint({ subject: 'coach-p', kind: 'coach', ttlSeconds: 600 }));
    await coach.next('ready');
    coach.send({ type: 'subscribe', athletes: ['ana'] });
    await coach.next('subscribed');

    const page = await ctx.newPage();
    const pageCdp = await ctx.newCDPSession(page);
    await pageCdp.send('DeviceAccess.enable');
    // The chooser: pick the strap once it is listed (the prompt is announced again as the list grows; answer it once).
    const answered = new Set<string>();
    pageCdp.on('DeviceAccess.deviceRequestPrompted', (e) => {
      const strap = e.devices[0];
      if (!strap || answered.has(e.id)) return;
      answered.add(e.id);
      void pageCdp.send('DeviceAccess.selectPrompt', { id: e.id, deviceId: strap.id });
    });
    await page.goto(`${base}${phone.url}`);
    await waitFor(async () => (await linkState(page)) === 'online', { timeout: 15_000, what: 'the MQTT link' });
    expect(await page.evaluate(() => 'bluetooth' in navigator)).toBe(true);
    await page.locator('#strap-connect').click();
    await waitFor(async () => (await page.locator('#strap-state').getAttribute('data-state')) === 'connected', { timeout: 20_000, what: 'the strap to connect' }).catch(async (err: Error) => {
      throw new Error(`${err.message}; operations: ${ops.join(',')}; page says: ${await page.locator('#strap-state').textContent()} / ${await page.locator('#strap-note').textContent()}`);
    });
    expect(ops).toContain('subscribe-to-notifications');
    await waitFor(async () => (await page.locator('#hr-bpm').textContent()) === '142', { timeout: 10_000, what: 'the page to show 142 bpm' });

    const live = await coach.next('event', (m) => m.event.metric === 'heart_rate' && m.event.deviceId === phone.device.id, { timeout: 15_000 });
    expect(live.event.values.bpm?.value).toBe(142);
    await waitFor(async () => (await rows('heart_rate')).length === 1, { timeout: 10_000, what: 'the reading stored' });
    const [stored] = await rows('heart_rate');
    expect(stored!.series?.rr?.values).toEqual([421.875, 425.781]);

    // The strap drops (out of range); the page reconnects by itself and streams again.
    await bt.send('BluetoothEmulation.simulateGATTDisconnection', { address: STRAP });
    await exposeHeartRateService();
    await waitFor(async () => (await page.locator('#hr-bpm').textContent()) === '145', { timeout: 20_000, what: 'a reading after the reconnect' }).catch(async (err: Error) => {
      throw new Error(`${err.message}; operations: ${ops.join(',')}; page says: ${await page.locator('#strap-state').textContent()} / ${await page.locator('#strap-note').textContent()}`);
    });
    expect(await page.locator('#strap-state').getAttribute('data-state')).toBe('connected');
    await waitFor(async () => (await rows('heart_rate')).length === 2, { timeout: 10_000, what: 'the second reading stored' });
    expect((await rows('heart_rate'))[1]!.series?.rr?.values).toEqual([414.063]);
    coach.close();
    await bt.detach();
    await ctx.close();
  }, 90_000);

  it('the athlete page makes the phone link and its QR code; the link opens the app signed in', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await ctx.newPage();
    const athlete = await t.hub.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 });
    await page.goto(`${base}/athlete.html?token=${athlete}`);
    await page.locator('#make-phone').click();
    await page.locator('#phone-qr').waitFor({ state: 'visible', timeout: 10_000 });
    const qr = await page.locator('#phone-qr').evaluate((img: HTMLImageElement) => ({ src: img.src.slice(0, 22), w: img.naturalWidth }));
    expect(qr.src).toBe('data:image/png;base64,');
    expect(qr.w).toBeGreaterThanOrEqual(200);
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(sideways).toBeLessThanOrEqual(0);
    const href = await page.locator('#phone-link').getAttribute('href');
    expect(href).toMatch(/\/app\/#device=phone-ana-/);
    const device = new URLSearchParams(new URL(href!).hash.slice(1)).get('device');
    expect(await t.hub.store.devices.get(device!)).toMatchObject({ userId: 'ana', kind: 'phone' });

    await page.goto(href!);
    await waitFor(async () => (await linkState(page)) === 'online', { timeout: 15_000, what: 'the app to connect with the new token' });
    expect(new URL(page.url()).hash).toBe(''); // the token left the address bar
    expect(await page.locator('#status').textContent()).toBe('ana');
    await ctx.close();
  }, 60_000);

  it("shows the class's interval timer when the coach starts it", async () => {
    const coach = await t.hub.mint({ subject: 'coach-p', kind: 'coach', ttlSeconds: 600 });
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${t.hub.http.url}${path}`, { method, headers: { authorization: `Bearer ${coach}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : null });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      return (await res.json()) as { session: { id: string } };
    };
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await openApp(ctx);
    expect(await page.locator('#class-timer').isHidden()).toBe(true);
    const { session } = await call('POST', '/api/sessions', { name: 'Spin 7am', athletes: ['ana'] });
    await call('POST', `/api/sessions/${session.id}/timer`, { workSec: 40, restSec: 20, rounds: 4 });
    await page.locator('#class-timer').waitFor({ state: 'visible', timeout: 15_000 });
    expect(await page.locator('#class-timer').textContent()).toMatch(/^Spin 7am: round 1\/4 · WORK \d+s$/);
    await call('DELETE', `/api/sessions/${session.id}/timer`);
    await page.locator('#class-timer').waitFor({ state: 'hidden', timeout: 15_000 });
    await ctx.close();
  }, 60_000);
});

