import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@pulsehub/contracts';
import { ERRORS_DOC, renderErrorsDoc } from '../../scripts/errors-doc.js';

/**
 * The catalog is the one list of codes: any `PH_*` code written in a package's sources (pages
 * included, tests excluded) must be in it, and docs/errors.md must be the table generated from it.
 * Retired catalog codes are kept, so unused catalog codes are not an error.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE = /\.(ts|js|mjs|html)$/;
/** A whole code: not a prefix such as `PH_INGEST_*` or `PH_GW_${...}` (those end in `_`). */
const CODE = /\bPH_[A-Z0-9_]*[A-Z0-9]\b/g;

function packages(): string[] {
  const yaml = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
  const block = yaml.split(/^packages:\s*$/m)[1]!.split(/^\S/m)[0]!;
  return [...block.matchAll(/^\s+-\s+(\S+)\s*$/gm)].map((m) => m[1]!);
}

function sourceFiles(dir: string): string[] {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return []; }
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'test' ? [] : sourceFiles(path);
    return SOURCE.test(e.name) && !/\.test\.[jt]s$/.test(e.name) ? [path] : [];
  });
}

/** Codes written in `text` that the catalog does not have. */
export function unknownCodes(text: string): string[] {
  return [...new Set([...text.matchAll(CODE)].map((m) => m[0]))].filter((code) => !(code in ERROR_CODES));
}

describe('error catalog covers the sources', () => {
  it('finds codes the catalog lacks, and not prefixes', () => {
    expect(unknownCodes(`throw new PulseHubError('PH_WEB_NOT_FOUND'); refuse('PH_BROKER_TOO_MANY_CONECTIONS'); // PH_INGEST_* and \`PH_GW_\${x}\``))
      .toEqual(['PH_BROKER_TOO_MANY_CONECTIONS']);
  });

  it('has every PH_* code used in every package source and page', () => {
    const pkgs = packages();
    expect(pkgs).toEqual(expect.arrayContaining(['contracts', 'broker', 'web', 'gateway-ble']));
    const files = pkgs.flatMap((p) => sourceFiles(join(ROOT, p, 'src')));
    expect(files.some((f) => f.includes(join('web', 'src', 'pages')))).toBe(true);
    const unknown: string[] = [];
    let seen = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      seen += (text.match(CODE) ?? []).length;
      for (const code of unknownCodes(text)) unknown.push(`${code} in ${file.slice(ROOT.length)}`);
    }
    expect(seen).toBeGreaterThan(50);
    expect(unknown, 'add these codes to contracts/src/errors.ts (with status and meaning), then run pnpm docs:errors').toEqual([]);
  });

  it('docs/errors.md is the table generated from the catalog (run pnpm docs:errors)', () => {
    const doc = readFileSync(ERRORS_DOC, 'utf8');
    expect(doc).toBe(renderErrorsDoc());
    for (const code of Object.keys(ERROR_CODES)) expect(doc).toContain(`| \`${code}\` |`);
  });
});
