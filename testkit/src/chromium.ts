import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.PULSEHUB_CHROMIUM ?? '/usr/bin/chromium';

/**
 * The pages are served from web/dist. `pnpm test` builds them first; a test file run on its
 * own (`npx vitest run …`) builds them here when they are missing or older than their sources.
 */
export function ensurePagesBuilt(): void {
  const built = new URL('../../web/dist/index.html', import.meta.url);
  if (existsSync(built) && newestMtime(fileURLToPath(new URL('../../web/src/pages', import.meta.url))) <= statSync(built).mtimeMs) return;
  execFileSync('pnpm', ['--filter', '@pulsehub/web', 'run', 'build'], { stdio: 'inherit' });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Debian's Chromium, headless, with a throw-away profile (never a downloaded browser). */
export async function launchChromium(): Promise<BrowserContext & AsyncDisposable> {
  ensurePagesBuilt();
  const profile = mkdtempSync(join(tmpdir(), 'pulsehub-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  const dispose = async () => {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return Object.assign(ctx, { [Symbol.asyncDispose]: dispose });
}
