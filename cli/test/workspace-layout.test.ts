import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The workspace's shape, as the root README ("Layout") describes it. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const workspace = readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
const PACKAGES = [...workspace.split(/^packages:$/m)[1]!.split(/\n\s*\n/)[0]!.matchAll(/^ {2}- ([\w-]+)$/gm)].map((m) => m[1]!);
const pkgJson = (dir: string) => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as {
  name: string; exports: Record<string, Record<string, string>>; dependencies?: Record<string, string>; devDependencies?: Record<string, string>; optionalDependencies?: Record<string, string>;
};
const filesUnder = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : [])) : []);

describe('workspace layout', () => {
  it('lists the packages', () => {
    expect(PACKAGES).toEqual(expect.arrayContaining(['contracts', 'physiology', 'auth', 'store', 'broker', 'ingest', 'web', 'cli', 'gateway-ble']));
  });

  it.each(PACKAGES)('%s: one door, src/index.ts, exported as types, source, default (in that order)', (dir) => {
    const p = pkgJson(dir);
    expect(Object.entries(p.exports['.'] ?? {})).toEqual([['types', './src/index.ts'], ['source', './src/index.ts'], ['default', './src/index.ts']]);
    // A subpath (such as a testing helper) names the same three conditions, one source file.
    for (const [path, conditions] of Object.entries(p.exports)) {
      expect(Object.keys(conditions), `${dir} ${path}`).toEqual(['types', 'source', 'default']);
      expect(new Set(Object.values(conditions)).size, `${dir} ${path}`).toBe(1);
    }
  });

  it('tsc resolves the same `source` condition that node gets from --conditions=source', () => {
    const tsconfig = readFileSync(join(ROOT, 'tsconfig.json'), 'utf8');
    expect(tsconfig).toMatch(/"customConditions":\s*\["source"\]/);
  });

  // Tests may also use what the root package.json brings (a hub to test against).
  it.each(PACKAGES)('%s: every package of ours its src imports is declared in its package.json', (dir) => {
    const p = pkgJson(dir);
    const declared = new Set(Object.keys({ ...p.dependencies, ...p.devDependencies, ...p.optionalDependencies }));
    const imported = new Set(filesUnder(join(ROOT, dir, 'src'))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/(?:from |import\()'(@pulsehub\/[\w-]+)/g)].map((m) => m[1]!)));
    imported.delete(p.name);
    expect([...imported].filter((name) => !declared.has(name)), 'imported but not declared').toEqual([]);
  });
});
