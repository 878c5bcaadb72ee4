import pino, { type Logger } from 'pino';
import { createTokenService, type Keyring, type MintOptions, type TokenService } from '@pulsehub/auth';
import { createBroker, createClusterBackends, createRevocationBus, type PulseHubBroker } from '@pulsehub/broker';
import { startIngest, type IngestService } from '@pulsehub/ingest';
import { openStore, type Store, type StoreTarget } from '@pulsehub/store';
import { createWebApp, type WebApp } from '@pulsehub/web';
import { join } from 'node:path';
import type { HubConfig } from './config.js';

export interface Hub {
  readonly config: HubConfig;
  readonly store: Store;
  readonly tokens: TokenService;
  readonly broker: PulseHubBroker;
  readonly ingest: IngestService;
  readonly web: WebApp;
  readonly mqtt: { host: string; port: number; url: string };
  readonly http: { host: string; port: number; url: string };
  /** Mints a token and records its id (so it can be listed and revoked). */
  mint(options: MintOptions): Promise<string>;
  close(): Promise<void>;
}

export interface StartHubOptions {
  config: HubConfig;
  keyring: Keyring;
  logger?: Logger;
  /** Overrides the database choice (tests). */
  storeTarget?: StoreTarget;
}

/** Tries the configured port; when it was a default and is taken, the next few ports. */
async function listenWithFallback(listen: (port: number) => Promise<{ port: number }>, port: number, explicit: boolean, log: Logger, what: string): Promise<number> {
  const tries = explicit || port === 0 ? 1 : 10;
  for (let i = 0; i < tries; i++) {
    try {
      return (await listen(port + i)).port;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || i === tries - 1) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new Error(`${what} port ${port + i} is in use${explicit ? '' : ` (tried ${port}..${port + i})`}; set ${what === 'MQTT' ? 'PULSEHUB_MQTT_PORT' : 'PULSEHUB_HTTP_PORT'} to a free port`, { cause: err });
        }
        throw err;
      }
      log.warn(`${what} port ${port + i} is in use (another ${what === 'MQTT' ? 'broker' : 'server'}?); trying ${port + i + 1}`);
    }
  }
  throw new Error('unreachable');
}

/** Starts broker, ingest and web in one process (the `pulsehub start` role set). */
export async function startHub(o: StartHubOptions): Promise<Hub> {
  const { config } = o;
  const log = o.logger ?? pino({ level: config.logLevel });
  const target: StoreTarget = o.storeTarget ?? (config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: join(config.dataDir, 'db') });
  const store = await openStore(target);
  const closers: (() => Promise<void>)[] = [() => store.close()];
  const closeAll = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.error({ err }, 'error while closing'));
  };
  try {
    const revoked = new Set(await store.revokedTokenIds());
    const tokens = createTokenService(o.keyring, { isRevoked: (jti) => revoked.has(jti) });

    // Revocations and consent changes reach every broker node (Redis channel) or this one.
    const bus = await createRevocationBus(config.redisUrl ? { redisUrl: config.redisUrl, onError: (err) => log.warn({ err }, 'revocation bus error') } : {});
    closers.push(() => bus.close());
    const cluster = config.redisUrl ? await createClusterBackends({ url: config.redisUrl }) : undefined;
    if (cluster) closers.push(() => cluster.close());
    const broker = await createBroker({
      tokens, logger: log.child({ role: 'broker' }), allowAnonymous: config.allowAnonymous,
      deviceInfo: async (id) => {
        const d = await store.getDevice(id);
        return d && { kind: d.kind, revoked: d.revokedAt !== null };
      },
      consentedAthletes: (viewer) => store.consentedAthletes(viewer),
      ...(cluster ? { mq: cluster.mq, persistence: cluster.persistence } : {}),
    });
    closers.push(() => broker.close());
    bus.subscribe((e) => {
      if (e.type === 'token') {
        revoked.add(e.jti);
        broker.disconnectWhere((p) => p.jti === e.jti);
      } else if (e.type === 'device') broker.disconnectWhere((p) => p.subject === e.deviceId && (p.kind === 'device' || p.kind === 'gateway'));
      else broker.consentChanged(e.athleteId, e.viewerId, e.granted);
    });
    // The web API changes consents through this store: tell the broker (coach MQTT subscriptions).
    const webStore: Store = {
      ...store,
      async grantConsent(athleteId, viewerId) {
        await store.grantConsent(athleteId, viewerId);
        await bus.publish({ type: 'consent', athleteId, viewerId, granted: true });
      },
      async revokeConsent(athleteId, viewerId) {
        const changed = await store.revokeConsent(athleteId, viewerId);
        await bus.publish({ type: 'consent', athleteId, viewerId, granted: false });
        return changed;
      },
    };
    const mqttPort = await listenWithFallback((p) => broker.listen({ port: p, host: config.mqtt.host }), config.mqtt.port, config.mqtt.portExplicit, log, 'MQTT');
    const brokerAddr = { host: config.mqtt.host === '0.0.0.0' ? '127.0.0.1' : config.mqtt.host, port: mqttPort };

    const ingestToken = (await tokens.mint({ subject: 'pulsehub-ingest', kind: 'service' })).token;
    const ingest = startIngest({ broker: brokerAddr, token: ingestToken, username: 'pulsehub-ingest', clientId: 'pulsehub-ingest', store, logger: log.child({ role: 'ingest' }) });
    closers.push(() => ingest.close());

    const web = await createWebApp({
      store: webStore, tokens, logger: log.child({ role: 'web' }), silenceMs: config.silenceMs,
      mqttHandler: (stream, req) => broker.handle(stream, req),
      revokeToken: (jti) => bus.publish({ type: 'token', jti }),
      health: () => ({ broker: { clients: broker.aedes.connectedClients }, ingest: ingest.stats }),
    });
    closers.push(() => web.close());
    // Prometheus scrape: loopback, or a bearer token of an admin or a service.
    web.app.get('/metrics', async (req, reply) => {
      const loopback = ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(req.socket.remoteAddress ?? '');
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const p = bearer ? await tokens.verify(bearer).catch(() => null) : null;
      if (!loopback && !(p && (p.kind === 'admin' || p.kind === 'service'))) return reply.status(401).send({ code: 'PH_AUTH_TOKEN_MISSING' });
      return reply.type('text/plain; version=0.0.4').send(await broker.metrics.render());
    });
    const webToken = (await tokens.mint({ subject: 'pulsehub-web', kind: 'service' })).token;
    await web.hub.connect({ ...brokerAddr, username: 'pulsehub-web', token: webToken });
    const httpPort = await listenWithFallback((p) => web.listen({ port: p, host: config.http.host }), config.http.port, config.http.portExplicit, log, 'HTTP');
    await ingest.ready();

    const shownHost = (h: string) => (h === '0.0.0.0' ? 'localhost' : h);
    return {
      config, store, tokens, broker, ingest, web,
      mqtt: { ...brokerAddr, url: `mqtt://${shownHost(config.mqtt.host)}:${mqttPort}` },
      http: { host: config.http.host, port: httpPort, url: `http://${shownHost(config.http.host)}:${httpPort}` },
      async mint(m) {
        const minted = await tokens.mint(m);
        await store.recordToken({ jti: minted.jti, subject: m.subject, kind: m.kind, expiresAt: minted.expiresAt ? new Date(minted.expiresAt * 1000) : null });
        return minted.token;
      },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
