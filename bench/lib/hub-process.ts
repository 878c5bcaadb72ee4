/**
 * `pulsehub start` as a process of its own (as bench/cluster.ts runs it), on given ports and a
 * given data directory and database, so a bench can SIGKILL it and start it again on the
 * same ports and data. Tokens are minted with the same secret the hub verifies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { createTokenService } from '@pulsehub/auth';

const MAIN = resolve(import.meta.dirname, '../../cli/src/main.ts');

export interface HubProcessOptions {
  databaseUrl: string;
  dataDir: string;
  mqttPort: number;
  httpPort: number;
  /** Extra Node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
}

export interface HubProcess {
  readonly pid: number;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export function hubSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hubTokens(secret: string) {
  const tokens = createTokenService({ current: { kid: 'k1', secret }, previous: [] });
  return async (subject: string, kind: 'device' | 'coach', users?: string[]) => (await tokens.mint({ subject, kind, ...(users ? { users } : {}), ttlSeconds: 4 * 3600 })).token;
}

/** Starts `pulsehub start` and resolves once it says it is running. */
export async function startHubProcess(o: HubProcessOptions, secret: string): Promise<HubProcess> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(PULSEHUB_|DATABASE_URL$|REDIS_URL$)/.test(k)));
  const proc: ChildProcess = spawn(process.execPath, ['--max-semi-space-size=64', ...(o.nodeFlags ?? []), '--import', 'tsx', '--conditions=source', MAIN, 'start'], {
    env: { ...env, DATABASE_URL: o.databaseUrl, PULSEHUB_JWT_SECRET: secret, PULSEHUB_JWT_KID: 'k1', PULSEHUB_DATA_DIR: o.dataDir, PULSEHUB_MQTT_PORT: String(o.mqttPort), PULSEHUB_HTTP_PORT: String(o.httpPort), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let exited = false;
  const exit = new Promise<void>((r) => proc.once('exit', () => ((exited = true), r())));
  await new Promise<void>((r, j) => {
    let out = '';
    proc.stdout!.on('data', (d) => ((out += d), /PulseHub is running/.test(out) && r()));
    void exit.then(() => j(new Error('pulsehub start exited before it was running')));
  });
  proc.stdout!.resume();
  const end = async (signal: NodeJS.Signals) => {
    if (!exited) proc.kill(signal);
    await exit;
  };
  return { pid: proc.pid!, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}
