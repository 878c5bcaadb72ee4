import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { generateSigningKey, type Keyring } from '@pulsehub/auth';
import { PulseHubError } from '@pulsehub/contracts';
import type { HubConfig } from './config.js';
import { ensurePrivateDir } from './data-dir.js';

const Key = z.object({ kid: z.string().min(1), secret: z.string().min(43) });
const SecretsFile = z.object({ keyring: z.object({ current: Key, previous: z.array(Key) }) });

/**
 * The signing keys: from the environment, or (development) generated on first run and kept
 * in `<dataDir>/secrets.json` with mode 0600. `created` tells the caller to print them once.
 */
export function loadKeyring(config: HubConfig): { keyring: Keyring; created: boolean; path?: string } {
  if (config.jwt) return { keyring: { current: { kid: config.jwt.kid, secret: config.jwt.secret }, previous: config.jwt.previous }, created: false };
  if (config.mode === 'production') throw new PulseHubError('PH_CONFIG_SECRET_MISSING', 'PULSEHUB_JWT_SECRET is required in production');
  const path = join(config.dataDir, 'secrets.json');
  if (existsSync(path)) {
    const parsed = SecretsFile.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    if (!parsed.success) throw new PulseHubError('PH_CONFIG_INVALID', `${path} is damaged: ${z.prettifyError(parsed.error)}; delete it to generate new keys (all tokens become invalid)`);
    return { keyring: parsed.data.keyring, created: false, path };
  }
  ensurePrivateDir(config.dataDir);
  const keyring: Keyring = { current: generateSigningKey(), previous: [] };
  writeFileSync(path, JSON.stringify({ keyring }, null, 2), { mode: 0o600 });
  chmodSync(path, 0o600);
  return { keyring, created: true, path };
}
