import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// [issue 17 §2] With DEBUG unset, mqtt-packet (aedes's parser and writer) gets a no-op `debug`
// that allocates nothing per call; with DEBUG set, the real one. Run in a fresh process: the
// substitution must happen before anything loads mqtt-packet.

const root = fileURLToPath(new URL('../..', import.meta.url));
/** `debugFirst`: another package has loaded \`debug\` (not mqtt-packet) before the broker, as MQTT.js does in \`pulsehub start\`. */
const probe = (debugFirst: boolean) => `
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
const fromAedes = createRequire(fileURLToPath(import.meta.resolve('aedes')));
${debugFirst ? "createRequire(fromAedes.resolve('mqtt-packet'))('debug')('someone-else');" : ''}
await import('@pulsehub/broker');
const debug = createRequire(fromAedes.resolve('mqtt-packet'))('debug');
const a = debug('mqtt-packet:parser');
console.log(JSON.stringify({ shared: a === debug('other'), enabled: a.enabled, humanize: typeof debug.humanize }));
`;

async function inFreshProcess(env: Record<string, string | undefined>, debugFirst = false): Promise<{ shared: boolean; enabled: boolean }> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', probe(debugFirst)], {
    cwd: `${root}/broker`,
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as { shared: boolean; enabled: boolean };
}

describe('mqtt-packet debug logging', () => {
  it('is one shared no-op when DEBUG is not set', async () => {
    expect(await inFreshProcess({ DEBUG: '' })).toMatchObject({ shared: true, enabled: false });
  });

  it('is the no-op too when another package loaded debug first', async () => {
    expect(await inFreshProcess({ DEBUG: '' }, true)).toMatchObject({ shared: true, enabled: false });
  });

  it('comes before anything else in the pulsehub command', () => {
    // MQTT.js loads mqtt-packet too: after it, the packet parser keeps the real loggers.
    const main = readFileSync(`${root}/cli/src/main.ts`, 'utf8');
    expect(main.match(/^import .*$/m)?.[0]).toBe("import '@pulsehub/broker/quiet-debug';");
  });

  it('is the real debug module when DEBUG is set', async () => {
    expect(await inFreshProcess({ DEBUG: 'mqtt-packet:*' })).toMatchObject({ shared: false, enabled: true });
  });
});
