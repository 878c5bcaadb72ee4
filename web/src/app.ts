import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import fastifyStatic from '@fastify/static';
import type { Logger } from 'pino';
import type { TokenService } from '@pulsehub/auth';
import type { Store } from '@pulsehub/store';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { createWebSocketStream } from 'ws';
import { installErrorHandler } from './errors.js';
import { registerApi } from './routes/api.js';
import { LiveHub } from './live/hub.js';
import { LiveSession } from './live/session.js';

export const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));

export interface WebOptions {
  store: Store;
  tokens: TokenService;
  logger: Logger;
  /** A tile shows "no signal" after this much silence. */
  silenceMs?: number;
  /** Marks a token revoked everywhere; the app closes that token's live sessions itself. */
  revokeToken?: (jti: string) => Promise<void>;
  /** MQTT over WebSocket on `/mqtt`, when the broker is in this process. */
  mqttHandler?: (stream: Duplex, request: IncomingMessage) => void;
  /** Extra health facts for `/healthz` (broker, ingest). */
  health?: () => Record<string, unknown>;
}

export interface WebApp {
  readonly app: FastifyInstance;
  readonly hub: LiveHub;
  listen(o: { port: number; host?: string }): Promise<{ port: number; host: string }>;
  close(): Promise<void>;
}

export async function createWebApp(o: WebOptions): Promise<WebApp> {
  // Request lines are info-level noise at device rates; warnings and errors still log.
  const app = Fastify({ loggerInstance: o.logger.child({}, { level: 'warn' }) as FastifyBaseLogger, bodyLimit: 1024 * 1024 }) as unknown as FastifyInstance;
  const hub = new LiveHub(o.store, o.logger);
  const sessions = new Set<LiveSession>();
  installErrorHandler(app);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  await app.register(fastifyStatic, { root: PUBLIC_DIR, index: ['index.html'] });

  const revokeToken = async (jti: string) => {
    await o.store.revokeToken(jti);
    await o.revokeToken?.(jti);
    for (const s of sessions) if (s.jti === jti) s.close(4401, 'token revoked');
  };
  registerApi(app, { store: o.store, tokens: o.tokens, hub, revokeToken });

  app.get('/healthz', async () => {
    let database = 'ok';
    try {
      await o.store.countObservations({ userId: '__healthz__' });
    } catch {
      database = 'unavailable';
    }
    return { status: database === 'ok' ? 'ok' : 'degraded', database, store: o.store.kind, liveViewers: sessions.size, ...(o.health?.() ?? {}) };
  });

  app.get<{ Querystring: { token?: string } }>('/live', { websocket: true }, (socket, req) => {
    const session = new LiveSession(socket, {
      hub, store: o.store, tokens: o.tokens, log: o.logger,
      silenceMs: o.silenceMs ?? 10_000, authTimeoutMs: 10_000, maxBufferedBytes: 4 * 1024 * 1024,
      startOfToday: () => { const d = new Date(); d.setHours(0, 0, 0, 0); return d; },
    }, req.query.token);
    sessions.add(session);
    socket.on('close', () => sessions.delete(session));
  });

  if (o.mqttHandler) {
    const handle = o.mqttHandler;
    app.get('/mqtt', { websocket: true }, (socket, req) => {
      // Attach synchronously: an await here would lose the CONNECT packet.
      handle(createWebSocketStream(socket), req.raw);
    });
  }

  app.addHook('preClose', async () => {
    for (const s of sessions) s.close(1001, 'server shutting down');
  });

  return {
    app,
    hub,
    async listen({ port, host = '127.0.0.1' }) {
      await app.listen({ port, host });
      const addr = app.server.address();
      return { port: typeof addr === 'object' && addr ? addr.port : port, host };
    },
    async close() {
      await hub.close();
      await app.close();
    },
  };
}
