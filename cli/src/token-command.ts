import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createTokenService, DEFAULT_TOKEN_TTL_SECONDS, parseTtl, type MintedToken } from '@pulsehub/auth';
import { SubjectKind } from '@pulsehub/contracts';
import type { HubConfig } from './config.js';
import { loadKeyring } from './secrets.js';
import { openHubStore } from './roles.js';
import { hubAddresses, keyringForRunningHub } from './runtime-file.js';

export const TOKEN_USAGE = `  pulsehub token <kind> <subject> [--user ID]... [--ttl 90|15m|12h|30d] [--url URL]
                                             mint a token and record it (kinds: ${SubjectKind.options.join(', ')});
                                             default lifetime: devices and gateways 365 d, admins 12 h, overlays
                                             90 d, others 30 d. While a PGlite hub runs, it asks that hub (--url).`;

interface Io { out(line: string): void; err(line: string): void }
const article = (word: string) => (/^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`);

/**
 * `pulsehub token`: every token is recorded in the tokens table (listed on the admin page,
 * revocable for good) and expires. With Postgres, or PGlite while no hub holds the data
 * directory, the CLI writes the row itself; PGlite admits one process, so while a hub holds it
 * (its lock file names a live process) the running hub mints and records the token through
 * POST /api/tokens, called with a 60-second admin token signed by the same keys.
 */
export async function tokenCommand(args: string[], config: HubConfig, io: Io = { out: console.log, err: console.error }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { user: { type: 'string', multiple: true, default: [] }, ttl: { type: 'string' }, url: { type: 'string' } } });
  } catch (err) {
    io.err(`${(err as Error).message}\nusage:\n${TOKEN_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [kindArg, subject] = positionals;
  const kind = SubjectKind.safeParse(kindArg);
  if (!kind.success || !subject) {
    io.err(`usage:\n${TOKEN_USAGE}`);
    return 2;
  }
  // An athlete acts for themselves: the subject is the user unless told otherwise.
  const users = values.user.length === 0 && kind.data === 'athlete' ? [subject] : values.user;
  if ((kind.data === 'device' || kind.data === 'overlay') && users.length === 0) {
    io.err(`${article(kind.data)} token acts for a user: add --user <userId>`);
    return 2;
  }
  const ttlSeconds = values.ttl === undefined ? DEFAULT_TOKEN_TTL_SECONDS[kind.data] : parseTtl(values.ttl);
  if (ttlSeconds === undefined) {
    io.err('--ttl is a lifetime such as 90 (seconds), 15m, 12h or 30d (at most 10 years)');
    return 2;
  }
  const request = { subject, kind: kind.data, users, ttlSeconds };
  // Signed with the key the running hub uses (it may not have loaded a rotation yet).
  const tokens = createTokenService(keyringForRunningHub(config, loadKeyring(config).keyring));
  const hub = hubAddresses(config);
  let minted: MintedToken;
  if (!config.databaseUrl && hubHoldsDataDir(config)) {
    const base = (values.url ?? process.env.PULSEHUB_URL ?? `http://${hub.http.host}:${hub.http.port}`).replace(/\/$/, '');
    const { token: admin } = await tokens.mint({ subject: 'pulsehub-cli', kind: 'admin', ttlSeconds: 60 });
    let res: Response;
    try {
      res = await fetch(`${base}/api/tokens`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(request) });
    } catch (err) {
      io.err(`a hub holds ${config.dataDir} but cannot be reached at ${base} (${(err as Error).message}); pass --url`);
      return 1;
    }
    const body = (await res.json()) as MintedToken & { error?: { code: string; message: string } };
    if (!res.ok) {
      io.err(`the hub refused: ${res.status} ${body.error?.code ?? ''}: ${body.error?.message ?? ''}`);
      return 1;
    }
    minted = body;
  } else {
    const store = await openHubStore(config);
    try {
      minted = await tokens.mint(request);
      await store.tokens.record({ jti: minted.jti, subject, kind: kind.data, expiresAt: minted.expiresAt === undefined ? null : new Date(minted.expiresAt * 1000) });
    } finally {
      await store.close();
    }
  }
  io.out(minted.token);
  if ((kind.data === 'device' || kind.data === 'gateway') && process.stderr.isTTY) {
    // On stderr, so TOKEN=$(pulsehub token …) still captures the token alone.
    io.err(`(MQTT: username ${subject}, password the token above, mqtt://${hub.mqtt.host}:${hub.mqtt.port}${hub.running ? ', the running hub' : ''})`);
  }
  return 0;
}

/** Whether a live process holds the PGlite data directory (its lock file, see store/src/open.ts). */
function hubHoldsDataDir(config: HubConfig): boolean {
  const lock = join(config.dataDir, 'db', 'pulsehub.lock');
  if (!existsSync(lock)) return false;
  const pid = Number(readFileSync(lock, 'utf8'));
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
