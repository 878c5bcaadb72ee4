import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type { Frame, Page } from 'playwright-core';
import { eventsTopic } from '@pulsehub/contracts';
import { connectDevice, startTestHub, type TestHub, launchChromium } from '@pulsehub/testkit';

const ARTIFACTS = 'test-artifacts';

/** What the overlay shows, as computed styles and DOM: equal snapshots render the same overlay. */
function overlaySnapshot(): Record<string, unknown> {
  const root = document.getElementById('overlay')!;
  const pick = (el: Element, props: string[]) => {
    const cs = getComputedStyle(el);
    return Object.fromEntries(props.map((p) => [p, cs.getPropertyValue(p)]));
  };
  const shown = (id: string) => getComputedStyle(document.getElementById(id)!).display !== 'none';
  return {
    style: root.dataset.style,
    classes: root.className,
    label: shown('label') ? document.getElementById('label')!.textContent : null,
    unit: shown('unit'),
    spark: shown('spark'),
    heart: getComputedStyle(root.querySelector('.heart')!).display !== 'none',
    root: pick(root, ['background-color', 'border-radius', 'align-items', 'padding-top', 'font-family']),
    row: pick(root.querySelector('.row')!, ['font-size', 'font-weight', '-webkit-text-stroke-width', '-webkit-text-stroke-color', 'text-shadow', 'paint-order']),
    bpm: pick(document.getElementById('bpm')!, ['color']),
  };
}

/**
 * The digits' contrast with what surrounds them, with the transparent overlay composited over
 * a white and a black frame: glyph pixels (from a second screenshot without outline and shadow)
 * against the ring of pixels just outside them.
 */
async function digitContrast(page: Page, styled: Buffer, bare: Buffer): Promise<{ white: number; black: number }> {
  return page.evaluate(async ([a, b]) => {
    const load = async (b64: string) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      return g.getImageData(0, 0, c.width, c.height);
    };
    const [s, m] = await Promise.all([load(a), load(b)]);
    const r = document.getElementById('bpm')!.getBoundingClientRect();
    const dpr = s.width / window.innerWidth;
    const x0 = Math.floor((r.left - 6) * dpr), x1 = Math.ceil((r.right + 6) * dpr);
    const y0 = Math.floor((r.top - 6) * dpr), y1 = Math.ceil((r.bottom + 6) * dpr);
    const at = (img: ImageData, x: number, y: number) => (y * img.width + x) * 4;
    const glyph = (x: number, y: number) => x >= 0 && y >= 0 && x < m.width && y < m.height && m.data[at(m, x, y) + 3]! > 200;
    const lum = (img: ImageData, x: number, y: number, bg: number) => {
      const i = at(img, x, y);
      const alpha = img.data[i + 3]! / 255;
      const ch = [0, 1, 2].map((k) => {
        const v = (alpha * img.data[i + k]! + (1 - alpha) * bg) / 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * ch[0]! + 0.7152 * ch[1]! + 0.0722 * ch[2]!;
    };
    const median = (xs: number[]) => xs.sort((p, q) => p - q)[Math.floor(xs.length / 2)] ?? 0;
    const ratio = (bg: number) => {
      const inner: number[] = [];
      const ring: number[] = [];
      for (let y = Math.max(0, y0); y < Math.min(s.height, y1); y++) {
        for (let x = Math.max(0, x0); x < Math.min(s.width, x1); x++) {
          if (glyph(x, y)) inner.push(lum(s, x, y, bg));
          else {
            let near = false;
            for (let dy = -2; dy <= 2 && !near; dy++) for (let dx = -2; dx <= 2 && !near; dx++) near = glyph(x + dx, y + dy);
            if (near) ring.push(lum(s, x, y, bg));
          }
        }
      }
      if (inner.length < 50) return 0;
      const [l1, l2] = [median(inner), median(ring)];
      return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    };
    return { white: ratio(255), black: ratio(0) };
  }, [styled.toString('base64'), bare.toString('base64')] as const);
}

describe('stream overlay: designer, legibility, fade on signal loss (headless Chromium)', () => {
  let t: TestHub;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let watch: MqttClient;
  let overlayUrl: string;

  const publish = (bpm: number) => watch.publishAsync(eventsTopic('ana'), JSON.stringify({ metric: 'heart_rate', at: new Date().toISOString(), values: { bpm } }), { qos: 1 });
  function keepPublishing(): () => void {
    let i = 0;
    const timer = setInterval(() => void publish(120 + (i++ % 7)), 250);
    return () => clearInterval(timer);
  }
  const digits = (f: Page | Frame) => f.waitForFunction(() => /^\d+$/.test(document.getElementById('bpm')?.textContent ?? ''), undefined, { timeout: 8000 });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestHub('postgres', { PULSEHUB_SILENCE_MS: '1500' });
    await t.hub.store.users.upsert({ id: 'ana', name: 'Ana Souza', birthYear: 1992 });
    watch = await connectDevice(t.hub, 'w-ana', await t.hub.mint({ subject: 'w-ana', kind: 'device', users: ['ana'] }));
    const overlayToken = await t.hub.mint({ subject: 'ov-ana', kind: 'overlay', users: ['ana'], ttlSeconds: 600 });
    overlayUrl = `${t.hub.http.url}/overlay.html?token=${overlayToken}`;
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await watch?.endAsync();
    await browser?.[Symbol.asyncDispose]();
    await t?.close();
  });

  it("the designer's URL reproduces its live preview", async () => {
    const athlete = await t.hub.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 });
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1100, height: 1200 });
    await page.goto(`${t.hub.http.url}/athlete.html?token=${athlete}`);
    await page.getByRole('button', { name: 'Create overlay link' }).click();
    await page.locator('#designer').waitFor({ state: 'visible' });
    const stop = keepPublishing();
    try {
      const form = page.locator('#designer');
      await form.getByLabel('Style').selectOption('card');
      await form.getByLabel('Label').fill('Heart rate');
      await form.getByLabel('Colour by zone').uncheck();
      await form.getByLabel('Align').selectOption('center');
      await page.evaluate(() => {
        const set = (name: string, value: string) => {
          const el = document.querySelector<HTMLInputElement>(`#designer [name="${name}"]`)!;
          el.value = value;
          el.dispatchEvent(new Event('input', { bubbles: true }));
        };
        set('size', '120');
        set('color', '#ffd166');
      });
      const url = await page.locator('#overlay-url').inputValue();
      expect(new URL(url).searchParams.get('style')).toBe('card');
      expect(Object.fromEntries(new URL(url).searchParams)).toMatchObject({ size: '120', color: '#ffd166', zoneColor: '0', label: 'Heart rate', align: 'center' });
      await page.waitForFunction((u) => document.querySelector<HTMLIFrameElement>('#overlay-preview')?.dataset.url === u, url);
      const frame = await (await page.locator('#overlay-preview').elementHandle())!.contentFrame();
      await frame!.waitForURL(url);
      await digits(frame!);
      const preview = await frame!.evaluate(overlaySnapshot);
      expect(preview).toMatchObject({ style: 'card', spark: true, heart: true, label: 'Heart rate', bpm: { color: 'rgb(255, 209, 102)' } });
      await page.locator('#overlay-card').screenshot({ path: `${ARTIFACTS}/overlay-designer.png` });
      // The preview is transparent: the dark backdrop shows through the iframe's empty corner.
      const frameBox = (await page.locator('#overlay-preview').boundingBox())!;
      const corner = await page.screenshot({ clip: { x: frameBox.x + frameBox.width - 4, y: frameBox.y + frameBox.height - 4, width: 1, height: 1 } });
      const px = await page.evaluate(async (b64) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const g = c.getContext('2d')!;
        g.drawImage(img, 0, 0);
        return [...g.getImageData(0, 0, 1, 1).data].slice(0, 3);
      }, corner.toString('base64'));
      expect(px).toEqual([16, 18, 21]); // .preview[data-bg="dark"]: #101215

      // The copied URL in a browser source of the preview's size shows the same thing.
      const box = (await page.locator('#overlay-preview').boundingBox())!;
      const source = await browser.newPage();
      await source.setViewportSize({ width: Math.round(box.width), height: Math.round(box.height) });
      await source.goto(url);
      await digits(source);
      expect(await source.evaluate(overlaySnapshot)).toEqual(preview);
      await source.close();
    } finally {
      stop();
    }
    await page.close();
  });

  it('the digits stay legible over white and over black video (outline by default)', async () => {
    const cases = [
      { query: '&zoneColor=0&color=%23ffffff', name: 'white digits', min: 3 },
      { query: '&zoneColor=0&color=%23161616&style=minimal', name: 'dark digits', min: 3 },
      { query: '', name: 'zone colours', min: 3 },
    ];
    const results: Record<string, { white: number; black: number }> = {};
    for (const c of [...cases, { query: '&zoneColor=0&color=%23ffffff&shadow=0', name: 'control: white, no outline', min: 0 }]) {
      const page = await browser.newPage();
      await page.setViewportSize({ width: 520, height: 240 });
      await page.goto(`${overlayUrl}&size=110${c.query}`);
      await publish(150);
      await digits(page);
      await page.evaluate(() => document.getAnimations().forEach((a) => a.cancel()));
      const styled = await page.screenshot({ omitBackground: true });
      await page.addStyleTag({ content: '.row, .label { -webkit-text-stroke: 0 !important; text-shadow: none !important; }' });
      const bare = await page.screenshot({ omitBackground: true });
      results[c.name] = await digitContrast(page, styled, bare);
      if (c.name === 'white digits') await page.screenshot({ path: `${ARTIFACTS}/overlay-outline.png`, omitBackground: true });
      await page.close();
    }
    console.log(`digit contrast (glyph vs its surroundings) over white / black: ${JSON.stringify(results)}`);
    for (const c of cases) {
      expect(results[c.name]!.white, `${c.name} over white`).toBeGreaterThanOrEqual(c.min);
      expect(results[c.name]!.black, `${c.name} over black`).toBeGreaterThanOrEqual(c.min);
    }
    // Without the outline, white digits vanish into a white frame: the measure can fail.
    expect(results['control: white, no outline']!.white).toBeLessThan(1.5);
  });

  it('hideLost=1 fades the overlay out on signal loss and back in with the next reading', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 520, height: 240 });
    await page.goto(`${overlayUrl}&hideLost=1`);
    const opacity = () => page.evaluate(() => getComputedStyle(document.getElementById('overlay')!).opacity);
    let stop = keepPublishing();
    await digits(page);
    await expect.poll(opacity, { timeout: 5000 }).toBe('1');
    stop();
    // Silence: lost after PULSEHUB_SILENCE_MS (1.5 s), then a 0.8 s fade.
    await expect.poll(() => page.locator('#overlay').getAttribute('class'), { timeout: 6000 }).toContain('faded');
    await expect.poll(opacity, { timeout: 3000 }).toBe('0');
    stop = keepPublishing();
    try {
      await expect.poll(opacity, { timeout: 5000 }).toBe('1');
      expect(await page.locator('#overlay').getAttribute('class')).not.toContain('faded');
    } finally {
      stop();
    }
    await page.close();
  });
});
