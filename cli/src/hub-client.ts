import { createTokenService } from '@pulsehub/auth';
import type { HubConfig } from './config.js';
import { loadKeyring } from './secrets.js';
import { hubAddresses, keyringForRunningHub } from './runtime-file.js';

export interface HubClient {
  /** The hub's HTTP base URL the calls go to. */
  readonly base: string;
  /** One REST call with a short-lived admin token; a hub error becomes `Error("<status> <code>: <message>")`. */
  call(method: string, path: string, body?: unknown): Promise<unknown>;
}

/**
 * The running hub's REST API for CLI commands (deadletters, webhooks): `--url`, else
 * PULSEHUB_URL, else the address the hub recorded; an admin token minted for 5 minutes with
 * the key the running hub verifies.
 */
export async function adminHubClient(config: HubConfig, url?: string): Promise<HubClient> {
  const http = hubAddresses(config).http;
  const base = (url ?? process.env.PULSEHUB_URL ?? `http://${http.host}:${http.port}`).replace(/\/$/, '');
  const tokens = createTokenService(keyringForRunningHub(config, loadKeyring(config).keyring));
  const { token } = await tokens.mint({ subject: 'pulsehub-cli', kind: 'admin', ttlSeconds: 300 });
  return {
    base,
    async call(method, path, body) {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      } catch (err) {
        throw new Error(`cannot reach the hub at ${base} (${(err as Error).message}); is it running? pass --url`, { cause: err });
      }
      const json = (await res.json()) as { error?: { code: string; message: string } };
      if (!res.ok) throw new Error(`${res.status} ${json.error?.code ?? ''}: ${json.error?.message ?? ''}`);
      return json;
    },
  };
}
