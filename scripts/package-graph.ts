/**
 * The package graph from the imports themselves: for each workspace package, which of our
 * packages its `src` imports (with `--tests`, its `test` too, as a separate line). With
 * `--rev <git revision>` it reads that revision's files instead of the work tree, so a
 * before/after of a change is two runs:
 *
 *   pnpm -s graph --rev main      # before
 *   pnpm -s graph                 # after (the work tree)
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rev: { type: 'string' }, tests: { type: 'boolean', default: false } } });
const ROOT = join(import.meta.dirname, '..');
const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });

/** Files under `dir` ending in .ts, with their text: from the work tree or from a revision. */
function tsFiles(dir: string): { path: string; text: string }[] {
  if (values.rev) {
    let listing: string;
    try {
      listing = git('ls-tree', '-r', '--name-only', values.rev, '--', dir);
    } catch {
      return [];
    }
    return listing.split('\n').filter((p) => p.endsWith('.ts')).map((path) => ({ path, text: git('show', `${values.rev}:${path}`) }));
  }
  const walk = (d: string): string[] => (existsSync(d) ? readdirSync(d).flatMap((f) => (f === 'node_modules' ? [] : statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.ts') ? [join(d, f)] : [])) : []);
  return walk(join(ROOT, dir)).map((path) => ({ path, text: readFileSync(path, 'utf8') }));
}

const workspace = values.rev ? git('show', `${values.rev}:pnpm-workspace.yaml`) : readFileSync(join(ROOT, 'pnpm-workspace.yaml'), 'utf8');
const packages = [...workspace.split(/^packages:$/m)[1]!.split(/\n\s*\n/)[0]!.matchAll(/^ {2}- ([\w-]+)$/gm)].map((m) => m[1]!);

const importsOf = (dir: string, own: string): string[] => {
  const found = new Set<string>();
  for (const f of tsFiles(dir)) {
    for (const m of f.text.matchAll(/(?:from |import\()'@pulsehub\/([\w-]+)(\/[\w-]+)?'/g)) {
      if (m[1] !== own) found.add(m[2] ? `${m[1]}${m[2]}` : m[1]!);
    }
  }
  return [...found].sort();
};

const width = Math.max(...packages.map((p) => p.length)) + (values.tests ? 7 : 0);
console.log(`# package graph (${values.rev ? `revision ${values.rev}` : 'work tree'}; from the imports of src${values.tests ? ' and test' : ''})`);
for (const pkg of packages) {
  const src = importsOf(`${pkg}/src`, pkg);
  console.log(`${pkg.padEnd(width)} → ${src.length ? src.join(', ') : '(nothing of ours)'}`);
  if (values.tests) {
    const test = importsOf(`${pkg}/test`, pkg);
    console.log(`${`${pkg} tests`.padEnd(width)} → ${test.length ? test.join(', ') : '(nothing of ours)'}`);
  }
}
