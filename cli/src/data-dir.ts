import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface Log { warn(o: object, msg: string): void }

/**
 * The data directory holds the signing keys and, with PGlite, the whole database: it is
 * private to the hub's user. Created 0700; an existing one that others could read (0755 from
 * an older version or a hand-made directory) is tightened, with a log line.
 */
export function ensurePrivateDir(dir: string, log?: Log): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const mode = lstatSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  try {
    chmodSync(dir, 0o700);
  } catch (err) {
    // Not ours to change (a volume mounted with another owner): what the hub writes in it is
    // still private (umask 077, tightenTree), so say so and go on rather than refuse to start.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    log?.warn({ dir, mode: mode.toString(8) }, 'data directory is readable by others and not owned by the hub user: cannot tighten it (files in it are still created 0600)');
    return;
  }
  log?.warn({ dir, was: mode.toString(8), now: '700' }, 'data directory was readable by others: tightened to 0700');
}

/**
 * Everything under the data directory: directories 0700, files 0600. The hub process runs
 * with umask 077 (main.ts), so what it creates later is private too; this also covers files an
 * older version (or PGlite under the caller's umask) left 0644. Returns how many it changed.
 */
export function tightenTree(dir: string, log?: Log): number {
  let changed = 0;
  const visit = (path: string) => {
    for (const e of readdirSync(path, { withFileTypes: true })) {
      const p = join(path, e.name);
      if (e.isSymbolicLink()) continue;
      const want = e.isDirectory() ? 0o700 : 0o600;
      if ((lstatSync(p).mode & 0o777 & 0o077) !== 0) {
        chmodSync(p, (lstatSync(p).mode & 0o700) | (want & 0o700));
        changed++;
      }
      if (e.isDirectory()) visit(p);
    }
  };
  visit(dir);
  if (changed > 0) log?.warn({ dir, entries: changed }, 'data directory held entries readable by others: tightened to 0700/0600');
  return changed;
}
