import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchChromium, startTestHub, type TestHub } from '@pulsehub/testkit';

const ARTIFACTS = 'test-artifacts';

async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number; culprits: string[] }> {
  return page.evaluate(() => {
    const de = document.documentElement;
    const culprits: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('body *')) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > de.clientWidth + 0.5) culprits.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} → ${Math.round(r.right)}px`);
    }
    return { scrollWidth: Math.max(de.scrollWidth, document.body.scrollWidth), clientWidth: de.clientWidth, culprits: culprits.slice(0, 8) };
  });
}

// Issue 13: the athlete page's Log forms and goals view, in real Chromium at 390×844.
describe('athlete page: Log forms and goals on a 390 px phone', () => {
  let t: TestHub;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let athlete: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    t = await startTestHub('postgres');
    await t.hub.store.users.upsert({ id: 'ana', name: 'Ana Souza', birthYear: 1992 });
    athlete = await t.hub.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.[Symbol.asyncDispose]();
    await t?.close();
  });

  it('logs food, blood pressure and weight through the forms, shows a goal ring that moves live, and never scrolls sideways', async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${t.hub.http.url}/athlete.html?token=${athlete}`);
    await page.locator('#log-card').waitFor({ state: 'visible', timeout: 10_000 });
    await page.locator('#goals-card').waitFor({ state: 'visible', timeout: 10_000 });

    // A goal added from the page; one the API refuses shows why.
    await page.selectOption('#goal-form select[name="kind"]', 'target_weight');
    await page.fill('#goal-form input[name="target"]', '80');
    const goalCreated = page.waitForResponse((r) => r.url().endsWith('/api/users/ana/goals') && r.request().method() === 'POST');
    await page.click('#goal-form button[type="submit"]');
    expect((await goalCreated).status()).toBe(400); // target_weight needs a targetDate: the error is shown
    await expect.poll(() => page.locator('#goals-note').textContent()).toContain('targetDate');
    await page.selectOption('#goal-form select[name="kind"]', 'weekly_mindfulness_minutes');
    await page.fill('#goal-form input[name="target"]', '10');
    await page.click('#goal-form button[type="submit"]');
    await page.locator('#goals li').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('#goals li').first().getAttribute('data-met')).toBe('false');

    // Food: the default form.
    await page.fill('#log-form input[name="energy"]', '420');
    await page.fill('#log-form input[name="description"]', 'porridge & honey');
    await page.selectOption('#log-form select[name="meal"]', 'breakfast');
    await page.click('#log-form button[type="submit"]');
    await expect.poll(() => page.locator('#log-status').textContent(), { timeout: 10_000 }).toBe('saved');
    await expect.poll(() => page.locator('#log-recent li').count()).toBe(1);

    // Blood pressure by hand.
    await page.click('[data-kind="blood_pressure"]');
    await page.fill('#log-form input[name="systolic"]', '128');
    await page.fill('#log-form input[name="diastolic"]', '82');
    await page.click('#log-form button[type="submit"]');
    await expect.poll(() => page.locator('#log-status').textContent(), { timeout: 10_000 }).toBe('saved');

    await page.click('[data-kind="body_weight"]');
    await page.fill('#log-form input[name="kg"]', '71.4');
    await page.click('#log-form button[type="submit"]');
    await expect.poll(() => page.locator('#log-recent li').count(), { timeout: 10_000 }).toBe(3);
    expect(await t.hub.store.observations.count({ userId: 'ana' })).toBe(3);

    // Mindfulness: 15 minutes just now meets the weekly 10-minute goal; the ring turns live.
    await page.click('[data-kind="mindfulness"]');
    await page.evaluate(() => {
      const input = document.querySelector<HTMLInputElement>('#log-form input[name="start"]')!;
      const d = new Date(Date.now() - 20 * 60_000);
      d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
      input.value = d.toISOString().slice(0, 16);
    });
    await page.fill('#log-form input[name="duration"]', '15');
    await page.click('#log-form button[type="submit"]');
    await expect.poll(() => page.locator('#goals li').first().getAttribute('data-met'), { timeout: 10_000 }).toBe('true');
    await expect.poll(() => page.locator('#goals-note').textContent()).toContain('Goal reached');

    // The sleep form too, then the whole page at 390 px.
    await page.click('[data-kind="sleep"]');
    await page.screenshot({ path: `${ARTIFACTS}/athlete-log-390.png`, fullPage: true });
    const o = await horizontalOverflow(page);
    expect(o.scrollWidth, o.culprits.join('\n')).toBeLessThanOrEqual(o.clientWidth);

    // Delete the newest entry from the list.
    await page.locator('#log-recent li button').first().click();
    await expect.poll(() => t.hub.store.observations.count({ userId: 'ana' }), { timeout: 10_000 }).toBe(3);
    await page.close();
  });
});
