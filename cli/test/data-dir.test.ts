import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { generateSigningKey } from '@pulsehub/auth';
import { loadConfig, loadKeyring, startHub } from '@pulsehub/cli';

// Issue 11, defect 10: the PGlite database was world-readable (data dir 0755, files 0644
// under umask 022). Everything the hub keeps in its data directory is private to its user.

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(dir, e.name), ...walk(join(dir, e.name))] : [join(dir, e.name)]));
}
const mode = (p: string) => statSync(p).mode & 0o777;

describe('the data directory is private (0700, files 0600)', () => {
  const dirs: string[] = [];
  const oldUmask = process.umask(0o022); // as a login shell: the hub must not rely on the caller's umask
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  process.on('exit', () => process.umask(oldUmask));

  it('a first run creates the data dir 0700 and its secrets file 0600', () => {
    const parent = mkdtempSync(join(tmpdir(), 'pulsehub-perm-'));
    dirs.push(parent);
    const dataDir = join(parent, 'data');
    const { path } = loadKeyring(loadConfig({ PULSEHUB_DATA_DIR: dataDir }));
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(path!)).toBe(0o600);
  });

  it('an existing 0755 data dir is tightened with a log line, and PGlite files, lock and keys are private', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-perm-'));
    dirs.push(dataDir);
    chmodSync(dataDir, 0o755);
    mkdirSync(join(dataDir, 'old'), { mode: 0o755 });
    writeFileSync(join(dataDir, 'old', 'file'), 'x', { mode: 0o644 });
    const lines: string[] = [];
    const sink = new Writable({ write(c: Buffer, _e, cb) { lines.push(c.toString()); cb(); } });
    const config = loadConfig({ PULSEHUB_DATA_DIR: dataDir, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0' });
    loadKeyring(config);
    const hub = await startHub({ config, keyring: { current: generateSigningKey(), previous: [] }, logger: pino({ level: 'info' }, sink) });
    try {
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, 'old'))).toBe(0o700);
      expect(mode(join(dataDir, 'old', 'file'))).toBe(0o600);
      expect(lines.join('')).toMatch(/data directory .*tightened/);
      const entries = walk(dataDir);
      expect(entries.some((p) => p.includes('pglite'))).toBe(true);
      expect(entries.filter((p) => (mode(p) & 0o077) !== 0).map((p) => `${p.slice(dataDir.length)} ${mode(p).toString(8)}`)).toEqual([]);
    } finally {
      await hub.close();
    }
  }, 60_000);
});
