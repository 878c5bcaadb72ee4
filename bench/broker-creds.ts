/**
 * Writes a keyring and mqtt-load `-F` credential files: one line per connection,
 * `username password client-id [topic]`. Publishers are devices (`dev-<i>` for user `<i>`,
 * publishing to `users/<i>/events`), subscribers are services reading `users/#`.
 *
 *   node --conditions=source --import tsx bench/broker-creds.ts --dir DIR 200:1 2000:1 10000:0
 *   -> DIR/keys.json, DIR/creds-200-1.txt, DIR/creds-2000-1.txt, DIR/creds-10000-0.txt
 *
 * `--ttl N`: device tokens expire, the i-th N + i seconds from now (each in its own second:
 * the broker's expiry schedule at its most expensive); default: no expiry.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTokenService, generateSigningKey, type Keyring } from '@pulsehub/auth';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { dir: { type: 'string' }, ttl: { type: 'string' } } });
if (!values.dir || positionals.length === 0) throw new Error('usage: broker-creds.ts --dir DIR P:S ...');
const keysPath = join(values.dir, 'keys.json');
const keyring: Keyring = existsSync(keysPath) ? (JSON.parse(readFileSync(keysPath, 'utf8')) as Keyring) : { current: generateSigningKey(), previous: [] };
writeFileSync(keysPath, JSON.stringify(keyring), { mode: 0o600 });
const tokens = createTokenService(keyring);
for (const spec of positionals) {
  const [p, s] = spec.split(':').map(Number) as [number, number];
  const lines: string[] = [];
  for (let i = 0; i < p; i++) {
    const { token } = await tokens.mint({ subject: `dev-${i}`, kind: 'device', users: [String(i)], ...(values.ttl ? { ttlSeconds: Number(values.ttl) + i } : {}) });
    lines.push(`dev-${i} ${token} dev-${i} users/${i}/events`);
  }
  for (let j = 0; j < s; j++) {
    const { token } = await tokens.mint({ subject: `sub-${j}`, kind: 'service' });
    lines.push(`sub-${j} ${token} sub-${j}`);
  }
  writeFileSync(join(values.dir, `creds-${p}-${s}.txt`), lines.join('\n') + '\n', { mode: 0o600 });
}
console.error(`wrote ${positionals.length} credential file(s) to ${values.dir}`);
