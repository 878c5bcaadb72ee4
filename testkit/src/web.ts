import pino from 'pino';
import { createTokenService, generateSigningKey, type MintOptions, type TokenService } from '@pulsehub/auth';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { createWebApp, type WebApp, type WebOptions } from '@pulsehub/web';

export interface TestWeb extends AsyncDisposable {
  readonly web: WebApp;
  readonly store: Store;
  readonly tokens: TokenService;
  /** Mints a token valid for 10 minutes. */
  token(m: MintOptions): Promise<string>;
  /** One request through fastify's `inject` (no socket): status and parsed JSON body. */
  request<B = Record<string, unknown>>(token: string | null, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; body: B }>;
  close(): Promise<void>;
}

/**
 * The web app alone, on a scratch database (PGlite unless told), for REST routes that need no
 * socket: requests go through `app.inject`. What another role would do is passed in as
 * options (`revokeToken`, `replayDeadLetters`, …), as `cli` does.
 */
export async function startTestWeb(kind: 'pglite' | 'postgres' = 'pglite', options: Partial<WebOptions> = {}): Promise<TestWeb> {
  const db: TestDatabase = await createTestDatabase(kind);
  const store = await openStore(db.target);
  const tokens = createTokenService({ current: generateSigningKey(), previous: [] });
  const web = await createWebApp({ store, tokens, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), revokeToken: async () => {}, ...options });
  const close = async () => {
    await web.close();
    await store.close();
    await db.drop();
  };
  return {
    web, store, tokens,
    token: async (m) => (await tokens.mint({ ttlSeconds: 600, ...m })).token,
    async request(token, method, url, body) {
      const res = await web.app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(body === undefined ? {} : { payload: body as object }) });
      return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : {}) as never };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
