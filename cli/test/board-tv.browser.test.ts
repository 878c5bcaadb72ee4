import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { Page } from 'playwright-core';
import { eventsTopic } from '@pulsehub/contracts';
import { connectDevice, startTestHub, type TestHub, launchChromium } from '@pulsehub/testkit';

const ARTIFACTS = 'test-artifacts';
// The first six are not in name order, so ties broken by name differ from ties by id or arrival.
const FIRST = ['Ana', 'Ben', 'Zoé', 'Yusuf', 'Emma', 'Chloé', 'Gus', 'Hana', 'Ivo', 'Jae'];
const LAST = ['Souza', 'Okafor', 'Martin', 'Patel'];
/** 40 athletes; the first 6 also make the small class. */
const ATHLETES = Array.from({ length: 40 }, (_, i) => ({ id: `a${String(i).padStart(2, '0')}`, name: `${FIRST[i % 10]} ${LAST[Math.floor(i / 10)]}`, birthYear: 1980 + (i % 20) }));

// TV mode, leaderboard, interval timer and the phone layout of the class board, in Chromium.
describe('class board on a gym TV and a phone', () => {
  let t: TestHub;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  const watches = new Map<string, MqttClient>();
  let coach6: string;
  let coach40: string;

  const publish = (id: string, bpm: number, rr?: number[]) =>
    watches.get(id)!.publishAsync(eventsTopic(id), JSON.stringify({ metric: 'heart_rate', at: new Date().toISOString(), values: { bpm }, ...(rr ? { rr } : {}) }), { qos: 1 });
  const api = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${t.hub.http.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : null });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestHub('postgres');
    for (const [i, a] of ATHLETES.entries()) {
      await t.hub.store.users.upsert(a);
      await t.hub.store.consents.grant(a.id, 'coach-40');
      if (i < 6) await t.hub.store.consents.grant(a.id, 'coach-6');
      watches.set(a.id, await connectDevice(t.hub, `w-${a.id}`, await t.hub.mint({ subject: `w-${a.id}`, kind: 'device', users: [a.id] })));
    }
    coach6 = await t.hub.mint({ subject: 'coach-6', kind: 'coach', ttlSeconds: 600 });
    coach40 = await t.hub.mint({ subject: 'coach-40', kind: 'coach', ttlSeconds: 600 });
    await Promise.all(ATHLETES.map((a, i) => publish(a.id, 100 + (i % 9) * 10)));
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    for (const w of watches.values()) await w.endAsync();
    await browser?.[Symbol.asyncDispose]();
    await t?.close();
  });

  const newPage = async (width: number, height: number) => {
    const page = await browser.newPage();
    await page.setViewportSize({ width, height });
    return page;
  };

  /** The first n athletes publish every 300 ms until stopped. */
  function keepPublishing(n: number): () => void {
    let i = 0;
    const timer = setInterval(() => {
      i++;
      for (const [k, a] of ATHLETES.slice(0, n).entries()) void publish(a.id, Math.round(100 + (k % 9) * 10 + 6 * Math.sin((i + k) / 3)));
    }, 300);
    return () => clearInterval(timer);
  }

  /** Every measure the TV test asserts, taken in the page. */
  const measureTv = (page: Page) => page.evaluate(() => {
    const de = document.documentElement;
    const tiles = [...document.querySelectorAll<HTMLElement>('.tile')].map((el) => {
      const r = el.getBoundingClientRect();
      const font = (sel: string) => parseFloat(getComputedStyle(el.querySelector(sel)!).fontSize);
      const inside = (sel: string) => {
        const b = el.querySelector(sel)!.getBoundingClientRect();
        return b.top >= r.top - 1 && b.bottom <= r.bottom + 1 && b.left >= r.left - 1 && b.right <= r.right + 1;
      };
      return { w: r.width, h: r.height, area: r.width * r.height, bpmFont: font('.bpm'), pctFont: font('.pct'), bpmInside: inside('.bpm .value'), pctInside: inside('.pct-value'), footInside: inside('.hrv-toggle') };
    });
    return {
      tv: document.body.classList.contains('tv'),
      scrollX: de.scrollWidth > de.clientWidth, scrollY: de.scrollHeight > de.clientHeight,
      viewport: innerWidth * innerHeight, tiles,
    };
  });

  it.each([[6, 'coach6'], [40, 'coach40']] as const)('TV mode at 1920×1080 with %i athletes (%s): tiles fill the screen, BPM and percent of max ≥ 1/8 of the tile, no scrollbar', async (n, who) => {
    const page = await newPage(1920, 1080);
    await page.goto(`${t.hub.http.url}/?token=${who === 'coach6' ? coach6 : coach40}`);
    await expect.poll(() => page.locator('.tile .value').filter({ hasText: /^\d+$/ }).count(), { timeout: 15_000 }).toBe(n);
    const stop = keepPublishing(n);
    let m: Awaited<ReturnType<typeof measureTv>>;
    try {
      await page.waitForTimeout(1200); // live tiles and their sparklines
      m = await measureTv(page);
      await page.screenshot({ path: `${ARTIFACTS}/board-tv-${n}.png` });
    } finally {
      stop();
    }
    expect(m.tv).toBe(true); // automatic on a large window
    expect(m.tiles).toHaveLength(n);
    expect(m.scrollX || m.scrollY).toBe(false);
    for (const tile of m.tiles) {
      expect(tile.bpmFont).toBeGreaterThanOrEqual(tile.h / 8);
      expect(tile.pctFont).toBeGreaterThanOrEqual(tile.h / 8);
      expect(tile.bpmInside && tile.pctInside && tile.footInside).toBe(true); // nothing clipped, down to the HRV button
    }
    const filled = m.tiles.reduce((s, x) => s + x.area, 0) / m.viewport;
    console.log(`TV ${n} athletes: tiles cover ${(filled * 100).toFixed(1)} % of 1920×1080`);
    expect(filled).toBeGreaterThanOrEqual(0.88);
    await page.close();
  }, 40_000);

  it('?tv=1 turns TV mode on in a small window; a phone shows every tile the same way', async () => {
    const page = await newPage(1280, 720);
    await page.goto(`${t.hub.http.url}/?tv=1&token=${coach6}`);
    await expect.poll(() => page.locator('.tile .value').filter({ hasText: /^\d+$/ }).count(), { timeout: 15_000 }).toBe(6);
    expect(await page.evaluate(() => document.body.classList.contains('tv'))).toBe(true);
    expect(await page.locator('#fullscreen').isVisible()).toBe(true);

    await page.goto(`${t.hub.http.url}/?tv=0&token=${coach6}`);
    await page.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => page.locator('.tile .value').filter({ hasText: /^\d+$/ }).count(), { timeout: 15_000 }).toBe(6);
    const layout = await page.evaluate(() => [...document.querySelectorAll<HTMLElement>('.tile')].map((el) => {
      const tile = el.getBoundingClientRect();
      const bpm = el.querySelector('.bpm')!.getBoundingClientRect();
      const pct = el.querySelector('.pct')!.getBoundingClientRect();
      return { below: pct.top >= bpm.bottom - 1, dx: Math.round(pct.left - tile.left), dy: Math.round(pct.top - tile.top) };
    }));
    await page.screenshot({ path: `${ARTIFACTS}/board-phone-tiles.png` });
    expect(layout.every((l) => l.below)).toBe(true);
    expect(new Set(layout.map((l) => `${l.dx},${l.dy}`)).size).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
    await page.close();
  }, 40_000);

  it('HRV: RR intervals become a live RMSSD on a tile (toggle) and in the store; the overlay heart beats on each RR beat', async () => {
    const athlete = await t.hub.mint({ subject: 'a02', kind: 'athlete', users: ['a02'], ttlSeconds: 600 });
    const res = await api('POST', '/api/overlay-tokens', athlete, { athleteId: 'a02' });
    const { url } = (await res.json()) as { url: string };
    const overlay = await newPage(520, 260);
    await overlay.goto(`${t.hub.http.url}${url}`);
    await overlay.waitForFunction(() => /^\d+$/.test(document.getElementById('bpm')?.textContent ?? ''), undefined, { timeout: 10_000 });
    await overlay.evaluate(() => {
      const w = window as unknown as { beats: number[] };
      w.beats = [];
      document.querySelector('.heart')!.addEventListener('beat', () => w.beats.push(performance.now()));
    });
    const board = await newPage(1280, 800);
    await board.goto(`${t.hub.http.url}/?tv=0&token=${coach6}`);
    const tile = board.locator('[data-athlete="a02"]');
    await tile.waitFor({ timeout: 10_000 });
    await tile.locator('.hrv-toggle').click();
    // tiles render on the next animation frame
    await expect.poll(() => tile.locator('.hrv').isVisible(), { timeout: 5000 }).toBe(true);

    // 8 readings of 150 bpm (a BPM-paced heart would beat every 400 ms) carrying RR 600, 640 ms
    // in real time: RMSSD is exactly 40 ms, and the heart must beat 16 times, ~620 ms apart.
    for (let i = 0; i < 8; i++) {
      await publish('a02', 150, [600, 640]);
      await new Promise((r) => setTimeout(r, 1240));
    }
    await expect.poll(() => tile.locator('.hrv-value').textContent(), { timeout: 5000 }).toBe('40');
    await board.screenshot({ path: `${ARTIFACTS}/board-hrv.png` });
    await new Promise((r) => setTimeout(r, 1500)); // the last reading's beats play out
    const beats = await overlay.evaluate(() => (window as unknown as { beats: number[] }).beats);
    expect(beats).toHaveLength(16);
    const gaps = beats.slice(1).map((b, i) => b - beats[i]!).sort((a, b) => a - b);
    const median = gaps[gaps.length >> 1]!;
    console.log(`overlay beats: ${beats.length}, median spacing ${median.toFixed(0)} ms (RR 600/640)`);
    expect(median).toBeGreaterThan(520);
    expect(median).toBeLessThan(720);
    const stored = (await t.hub.store.observations.latest('a02')).find((e) => e.metric === 'hrv_rmssd');
    expect(stored?.values.rmssd?.value).toBe(40);
    expect(stored?.values.ln_rmssd?.value).toBeCloseTo(Math.log(40), 3);
    // The athlete page charts it (history of the last day, 5-minute means).
    const me = await newPage(1100, 900);
    await me.goto(`${t.hub.http.url}/athlete.html?token=${athlete}`);
    await expect.poll(() => me.locator('#hrv-meta').textContent(), { timeout: 10_000 }).toMatch(/^now 40 ms/);
    await me.close();
    await overlay.close();
    await board.close();
  }, 60_000);

  it('runs a class: the leaderboard ranks by effort points (ties by name), the interval timer shows on every board, the podium ends it', async () => {
    const page = await newPage(1920, 1080);
    await page.goto(`${t.hub.http.url}/?token=${coach6}`);
    await page.locator('.tile').nth(5).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Start class' }).click();
    await page.getByLabel('Name').fill('HIIT 6pm');
    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await expect.poll(() => page.locator('#class-name').textContent()).toBe('HIIT 6pm');
    const sessionId = new URL(page.url()).searchParams.get('session')!;

    // A second board (a phone) watching the same class.
    const phone = await newPage(390, 844);
    await phone.goto(`${t.hub.http.url}/?session=${sessionId}&token=${coach6}`);
    await expect.poll(() => phone.locator('#class-name').textContent()).toBe('HIIT 6pm');

    // a01 works hardest (zone 5, 4 points/min), a00 next (zone 3, 3 points/min); the other
    // four are silent and tie at 0 (name order).
    const timer = setInterval(() => {
      void publish('a00', 128);
      void publish('a01', 185);
    }, 250);
    try {
      const board = () => page.locator('#leaders li').evaluateAll((lis) => lis.map((li) => ({ id: (li as HTMLElement).dataset.leader!, ep: Number((li as HTMLElement).dataset.ep) })));
      await expect.poll(async () => {
        const b = await board();
        return b[0]?.id === 'a01' && b[1]?.id === 'a00' && b[1].ep > 0;
      }, { timeout: 25_000 }).toBe(true);
      const b = await board();
      const silent = ATHLETES.slice(2, 6).sort((x, y) => x.name.localeCompare(y.name)).map((a) => a.id);
      expect(b.map((x) => x.id)).toEqual(['a01', 'a00', ...silent]);
      expect(b.slice(2).every((x) => x.ep === 0)).toBe(true);
      // the phone, opened later, ranks the same way
      await expect.poll(() => phone.locator('#leaders li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.leader)), { timeout: 5000 }).toEqual(['a01', 'a00', ...silent]);
      // the strip agrees with the tiles' own effort points
      expect(Number(await page.locator('[data-athlete="a01"] .ep').textContent())).toBe(Math.round(b[0]!.ep));

      // The coach starts an interval timer: 5 s work, 3 s rest, 4 rounds.
      await page.getByLabel('work seconds').fill('5');
      await page.getByLabel('rest seconds').fill('3');
      await page.getByLabel('rounds').fill('4');
      await page.getByRole('button', { name: 'Start timer' }).click();
      for (const p of [page, phone]) {
        await p.locator('#interval').waitFor({ state: 'visible', timeout: 5000 });
        expect(await p.locator('#interval-round').textContent()).toBe('round 1/4');
        expect(await p.locator('#interval-left').textContent()).toMatch(/^0:0[1-5]$/);
      }
      await expect.poll(() => phone.locator('#interval-phase').textContent(), { timeout: 8000 }).toBe('rest');
      expect(await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
      expect(await page.evaluate(() => document.documentElement.scrollHeight <= document.documentElement.clientHeight)).toBe(true);
      await page.screenshot({ path: `${ARTIFACTS}/board-tv-class.png` });
      await phone.screenshot({ path: `${ARTIFACTS}/board-phone-class.png` });
    } finally {
      clearInterval(timer);
    }
    // Kept with the class (and audited); stopping it hides it everywhere.
    const info = (await (await api('GET', `/api/sessions/${sessionId}`, coach6)).json()) as { session: { timer: { workSec: number; rounds: number; stoppedAt: string | null } } };
    expect(info.session.timer).toMatchObject({ workSec: 5, rounds: 4, stoppedAt: null });
    expect((await api('POST', `/api/sessions/${sessionId}/timer`, coach40, { workSec: 5, restSec: 0, rounds: 1 })).status).toBe(403);
    await page.getByRole('button', { name: 'Stop timer' }).click();
    await phone.locator('#interval').waitFor({ state: 'hidden', timeout: 5000 });
    const admin = await t.hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 });
    const { audit } = (await (await api('GET', '/api/admin/audit', admin)).json()) as { audit: { action: string; target: string }[] };
    const actions = audit.filter((r) => r.target === sessionId).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['session.timer.start', 'session.timer.stop']));

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'End class' }).click();
    await page.locator('#summary').waitFor({ state: 'visible', timeout: 10_000 });
    await expect.poll(() => page.locator('#podium li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.leader))).toEqual(['a01', 'a00', 'a05']);
    await page.screenshot({ path: `${ARTIFACTS}/board-podium.png`, fullPage: true });
    await phone.close();
    await page.close();
  }, 60_000);
});
