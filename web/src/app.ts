import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import websocket from '@fastify/websocket';
import fastifyStatic from '@fastify/static';
import type { Logger } from 'pino';
import type { TokenService } from '@pulsehub/auth';
import { GOAL_KIND_METRICS, WS_CLOSE } from '@pulsehub/contracts';
import { localDay, type Store } from '@pulsehub/store';
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { createWebSocketStream } from 'ws';
import { installErrorHandler, installUrlGuard } from './errors.js';
import { installSecurityHeaders } from './security-headers.js';
import { ANONYMOUS, RefusalAudit } from './refusals.js';
import { principalOf } from './routes/auth.js';
import { registerApi } from './routes/api.js';
import { registerDevices } from './routes/devices.js';
import { LiveHub } from './live/hub.js';
import { LiveSession } from './live/session.js';
import { ClassSessions } from './live/classes.js';
import { registerSessionRoutes } from './routes/sessions.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerHistory } from './routes/history.js';
import { registerHrvRoutes } from './routes/hrv.js';
import { registerDeadLetters, type ReplayDeadLetters } from './routes/deadletters.js';
import { registerSharedScales } from './routes/shared-scales.js';
import { registerProfile } from './routes/profile.js';
import { registerPhoneRoutes } from './routes/phone.js';
import { registerAlertRoutes } from './routes/alerts.js';
import { registerMetrics, type MetricsText } from './routes/metrics.js';
import { registerManualEntries, type ManualIntake } from './routes/manual.js';
import { registerGoals } from './routes/goals.js';
import { registerExport } from './routes/export.js';
import { registerErasure } from './routes/erasure.js';
import { registerOutbound } from './routes/outbound.js';

/** The built pages (`pnpm build:web`: Vite builds web/ui into web/dist). */
export const PUBLIC_DIR = fileURLToPath(new URL('../dist', import.meta.url));

export interface WebOptions {
  store: Store;
  tokens: TokenService;
  logger: Logger;
  /** A tile shows "no signal" after this much silence. */
  silenceMs?: number;
  /** A tile shows "stale" after this much silence (default: half of silenceMs, at most 3 s). */
  staleMs?: number;
  /** The live gateway sends a heartbeat this often. */
  heartbeatMs?: number;
  /** Lower bounds of zones 1..5 as fractions of max HR (default 50/60/70/80/90 %). */
  zoneFloors?: readonly number[];
  /** Per live client: conflate above this many unsent bytes… */
  liveHighWaterBytes?: number;
  /** …and close (`WS_CLOSE.tooSlow`) a client whose backlog has not drained for this long. */
  liveMaxLagMs?: number;
  /** Marks a token revoked everywhere; the app closes that token's live sessions itself. */
  revokeToken?: (jti: string) => Promise<void>;
  /** Replays dead letters through the ingest adapters (`POST /api/deadletters/replay`; absent: no such route). */
  replayDeadLetters?: ReplayDeadLetters;
  /** Prometheus text for `GET /metrics` (loopback, or admin/service token); absent: no such route. */
  metrics?: MetricsText;
  /** Tells every broker node a device was revoked. */
  revokeDevice?: (deviceId: string) => Promise<void>;
  /** MQTT over WebSocket on `/mqtt`, when the broker is in this process. */
  mqttHandler?: (stream: Duplex, request: IncomingMessage) => void;
  /** Athletes one /live connection may follow, per subscribe and in total (default 200). */
  liveMaxAthletes?: number;
  /** The ingest pipeline's door for manual entries (absent: the manual routes answer 503). */
  manualIntake?: ManualIntake;
  /** PULSEHUB_WEBHOOK_ALLOW_HOSTS: webhook hosts past the SSRF guard. */
  webhookAllowHosts?: readonly string[];
  /** The analyzer sync's on-demand run (`POST /api/users/:id/sync-now`; absent: answers PH_ANALYZER_NOT_CONFIGURED). */
  analyzerSyncNow?: (userId: string) => Promise<unknown>;
  /** Extra health facts for `/healthz` (broker, ingest). */
  health?: () => Record<string, unknown>;
}

export interface WebApp {
  readonly app: FastifyInstance;
  readonly hub: LiveHub;
  readonly classes: ClassSessions;
  /** Open live WebSocket sessions. */
  readonly sessions: ReadonlySet<LiveSession>;
  /** Refused REST requests and `/live` messages go to the audit log through it (bounded). */
  readonly refusals: RefusalAudit;
  /** Every route registered (method and URL pattern), for the access matrix and the fuzz. */
  readonly routes: readonly { method: string; url: string }[];
  listen(o: { port: number; host?: string }): Promise<{ port: number; host: string }>;
  close(): Promise<void>;
}

export async function createWebApp(o: WebOptions): Promise<WebApp> {
  // Request lines are info-level noise at device rates; warnings and errors still log.
  const app = Fastify({ loggerInstance: o.logger.child({}, { level: 'warn' }) as FastifyBaseLogger, bodyLimit: 1024 * 1024 }) as unknown as FastifyInstance;
  const silenceMs = o.silenceMs ?? 10_000;
  const hub = new LiveHub(o.store, o.logger, { silenceMs, staleMs: o.staleMs ?? Math.min(3000, silenceMs / 2), ...(o.zoneFloors ? { zoneFloors: o.zoneFloors } : {}) });
  const classRepo = o.store.classes;
  const classes = new ClassSessions(o.store, classRepo, hub, o.logger);
  const sessions = new Set<LiveSession>();
  const heartbeatMs = o.heartbeatMs ?? 5000;
  const routes: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  const refusals = new RefusalAudit(o.store, o.logger);
  installErrorHandler(app, (req, err) => {
    refusals.record(principalOf(req) ?? ANONYMOUS, `${req.method} ${req.url.split('?', 1)[0]!.slice(0, 200)}`, err.code, { message: err.message.slice(0, 300), ip: req.ip });
  });
  installUrlGuard(app);
  await installSecurityHeaders(app);
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  if (existsSync(PUBLIC_DIR)) {
    await app.register(fastifyStatic, { root: PUBLIC_DIR, index: ['index.html'] });
    // The phone app lives under /app/ (the service worker's scope); /app alone goes there.
    app.get('/app', async (req, reply) => reply.redirect(`/app/${req.url.slice('/app'.length)}`, 301));
  } else {
    o.logger.warn({ dir: PUBLIC_DIR }, 'pages are not built: run `pnpm build:web` (pnpm start and pnpm test do it)');
    app.get('/', async (_req, reply) => reply.status(503).type('text/plain').send('PulseHub pages are not built: run `pnpm build:web` (pnpm start does it).\n'));
  }

  const revokeToken = async (jti: string) => {
    await o.store.tokens.revoke(jti);
    await o.revokeToken?.(jti);
    for (const s of sessions) if (s.jti === jti) s.close(WS_CLOSE.unauthenticated, 'token revoked');
  };
  registerApi(app, { store: o.store, tokens: o.tokens, hub, revokeToken });
  registerDevices(app, { store: o.store, tokens: o.tokens, revokeToken, ...(o.revokeDevice ? { revokeDevice: o.revokeDevice } : {}) });
  registerSessionRoutes(app, { store: o.store, tokens: o.tokens, classes, repo: classRepo });
  registerAdminRoutes(app, { store: o.store, tokens: o.tokens, });
  registerHistory(app, { store: o.store, tokens: o.tokens });
  registerHrvRoutes(app, { store: o.store, tokens: o.tokens });
  registerDeadLetters(app, { store: o.store, tokens: o.tokens, replay: o.replayDeadLetters });
  registerSharedScales(app, { store: o.store, tokens: o.tokens, hub });
  registerProfile(app, { store: o.store, tokens: o.tokens, hub });
  registerPhoneRoutes(app, { store: o.store, tokens: o.tokens });
  registerAlertRoutes(app, { store: o.store, tokens: o.tokens, hub });
  registerMetrics(app, { tokens: o.tokens, metrics: o.metrics });
  // An edit or delete moves goals too: their viewers get the new `goal` frame (never a goal-reached:
  // that is for a reading that completes a goal, and comes from ingest).
  const goalsChanged = async (userId: string, metric: string) => {
    try {
      const now = new Date();
      for (const goal of await o.store.goals.activeFor([userId])) {
        if (!GOAL_KIND_METRICS[goal.kind].includes(metric)) continue;
        const today = localDay(await o.store.goals.timeZone(userId), now);
        const p = await o.store.goals.progress(goal, goal.frequency === 'once' && goal.startDate < today ? goal.startDate : today, today, now);
        const period = p.current ?? p.periods[p.periods.length - 1];
        if (period) hub.publishGoal(userId, { type: 'goal', athlete: userId, goalId: goal.id, kind: goal.kind, period, streak: p.streak });
      }
    } catch (err) {
      o.logger.warn({ err: (err as Error).message, userId }, 'goal frames after an edit failed');
    }
  };
  registerManualEntries(app, { store: o.store, tokens: o.tokens, changed: goalsChanged, ...(o.manualIntake ? { intake: o.manualIntake } : {}) });
  registerGoals(app, { store: o.store, tokens: o.tokens });
  registerExport(app, { store: o.store, tokens: o.tokens });
  registerErasure(app, { store: o.store, tokens: o.tokens, hub, sessions, revokeToken, ...(o.revokeDevice ? { revokeDevice: o.revokeDevice } : {}) });
  registerOutbound(app, { store: o.store, tokens: o.tokens, webhookAllowHosts: o.webhookAllowHosts, syncNow: o.analyzerSyncNow });
  const heartbeat = setInterval(() => {
    for (const s of sessions) s.heartbeat();
  }, heartbeatMs);
  heartbeat.unref();

  app.get('/healthz', async (_req, reply) => {
    let database = 'ok';
    try {
      await o.store.observations.count({ userId: '__healthz__' });
    } catch {
      database = 'unavailable';
    }
    const facts = o.health?.() ?? {};
    // A part that says `ok: false` (e.g. an ingest writer whose commits keep failing) makes the hub not ok.
    const partsOk = Object.values(facts).every((f) => typeof f !== 'object' || f === null || (f as { ok?: unknown }).ok !== false);
    // 503 when degraded, so a load balancer's health check (`option httpchk GET /healthz`) takes the node out.
    if (database !== 'ok' || !partsOk) reply.status(503);
    return { status: database === 'ok' && partsOk ? 'ok' : 'degraded', database, store: o.store.kind, liveViewers: sessions.size, live: { received: hub.received, delivered: hub.delivered }, ...facts };
  });

  app.get<{ Querystring: { token?: string } }>('/live', { websocket: true }, (socket, req) => {
    const session = new LiveSession(socket, {
      hub, classes, store: o.store, tokens: o.tokens, log: o.logger, heartbeatMs, authTimeoutMs: 10_000, refusals,
      outbox: { highWaterBytes: o.liveHighWaterBytes ?? 64 * 1024, maxLagMs: o.liveMaxLagMs ?? 10_000, maxBufferedBytes: 4 * 1024 * 1024 },
      startOfToday: () => { const d = new Date(); d.setHours(0, 0, 0, 0); return d; },
      maxAthletes: o.liveMaxAthletes ?? 200,
    }, req.query.token, req.raw.socket);
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
    clearInterval(heartbeat);
    classes.close();
    for (const s of sessions) s.close(WS_CLOSE.goingAway, 'server shutting down');
  });

  return {
    app,
    hub,
    classes,
    sessions,
    routes,
    refusals,
    async listen({ port, host = '127.0.0.1' }) {
      await app.listen({ port, host });
      const addr = app.server.address();
      return { port: typeof addr === 'object' && addr ? addr.port : port, host };
    },
    async close() {
      await hub.close();
      await app.close();
      await refusals.settle();
    },
  };
}
