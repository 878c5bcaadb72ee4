import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WS_CLOSE } from '@pulsehub/contracts';
import { WS_CLOSE as LEAF } from '@pulsehub/contracts/ws-close';

/** The live gateway, its pages and the roles that close its sockets name close codes from WS_CLOSE. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIRS = ['web/src', 'cli/src'];
const LITERAL = /\b(?:close\(\s*|code\s*[!=]==?\s*)(\d{4})\b/g;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return files(path);
    return /\.ts$/.test(e.name) ? [path] : [];
  });
}

export function literalCloseCodes(text: string): string[] {
  return [...text.matchAll(LITERAL)].map((m) => m[0]);
}

describe('WebSocket close codes', () => {
  it('finds a literal close code', () => {
    expect(literalCloseCodes('ws.close(4401, "x"); if (e.code === 4429) {} ws.close(WS_CLOSE.normal)')).toEqual(['close(4401', 'code === 4429']);
  });

  it('are named from WS_CLOSE in the gateway, the pages and the roles', () => {
    const found: string[] = [];
    for (const dir of DIRS) {
      for (const file of files(join(ROOT, dir))) {
        for (const hit of literalCloseCodes(readFileSync(file, 'utf8'))) found.push(`${hit} in ${file.slice(ROOT.length)}`);
      }
    }
    expect(found, 'use WS_CLOSE from @pulsehub/contracts (pages: @pulsehub/contracts/ws-close)').toEqual([]);
  });

  it('is one table, in the application range for the hub’s own codes', () => {
    expect(LEAF).toBe(WS_CLOSE);
    for (const code of [WS_CLOSE.unauthenticated, WS_CLOSE.authTimeout, WS_CLOSE.tooSlow, WS_CLOSE.forbidden, WS_CLOSE.heartbeatMissed]) {
      expect(code).toBeGreaterThanOrEqual(4000);
      expect(code).toBeLessThan(5000);
    }
    expect(new Set(Object.values(WS_CLOSE)).size).toBe(Object.values(WS_CLOSE).length);
  });
});
