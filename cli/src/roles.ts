import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createTokenService, type Keyring, type ReloadableTokenService } from '@pulsehub/auth';
import { WS_CLOSE } from '@pulsehub/contracts';
import { createBroker, createClusterBackends, createRevocationBus, type PulseHubBroker, type RevocationBus } from '@pulsehub/broker';
import { replayDeadLetters, startEmbeddedIngest, startIngest, type EmbeddedIngest, type EmbeddedIngestOptions, type IngestService, type InsightSink } from '@pulsehub/ingest';
import { openStore, type Store, type StoreTarget } from '@pulsehub/store';
import { createWebApp, type ManualIntake, type WebApp } from '@pulsehub/web';
import { createAnalyzerSync, createBridge, createWebhookMetrics, createWebhookWorker, type AnalyzerSync, type Bridge, type WebhookMetrics } from '@pulsehub/outbound';
import type { HubConfig } from './config.js';
import { ensurePrivateDir, tightenTree } from './data-dir.js';
import { relayMqttTo } from './mqtt-relay.js';

/**
 * The building blocks of a hub process. `pulsehub start` runs all three roles in one process;
 * `pulsehub broker|ingest|web` run one each, talking through MQTT, Postgres and Redis.
 */
export type Closer = () => Promise<void>;

export function storeTargetFor(config: HubConfig): StoreTarget {
  return config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: join(config.dataDir, 'db') };
}

/** Opens the database; the data directory (keys, PGlite files, lock) stays private to this user. */
export async function openHubStore(config: HubConfig, override?: StoreTarget, log?: Logger): Promise<Store> {
  ensurePrivateDir(config.dataDir, log);
  const store = await openStore(override ?? storeTargetFor(config));
  tightenTree(config.dataDir, log);
  return store;
}

/** Token verification with a revocation set kept current by the revocation bus. */
export interface AccessControl {
  /** Reloadable: `pulsehub start` replaces the keys when `pulsehub keys rotate` rewrites them. */
  readonly tokens: ReloadableTokenService;
  readonly bus: RevocationBus;
  /** A store whose consent changes are announced on the bus (brokers cut coach subscriptions). */
  announcing(store: Store): Store;
  close: Closer;
}

export async function createAccessControl(config: HubConfig, keyring: Keyring, store: Store, log: Logger): Promise<AccessControl> {
  const revoked = new Set(await store.tokens.revokedIds());
  const tokens = createTokenService(keyring, { isRevoked: (jti) => revoked.has(jti) });
  // Revocations and consent changes reach every node (Redis channel) or this process only.
  const bus = await createRevocationBus(config.redisUrl ? { redisUrl: config.redisUrl, onError: (err) => log.warn({ err }, 'revocation bus error') } : {});
  bus.subscribe((e) => {
    if (e.type === 'token') revoked.add(e.jti);
  });
  return {
    tokens,
    bus,
    announcing: (s) => ({
      ...s,
      consents: {
        ...s.consents,
        async grant(athleteId, viewerId) {
          await s.consents.grant(athleteId, viewerId);
          await bus.publish({ type: 'consent', athleteId, viewerId, granted: true });
        },
        async revoke(athleteId, viewerId) {
          const changed = await s.consents.revoke(athleteId, viewerId);
          await bus.publish({ type: 'consent', athleteId, viewerId, granted: false });
          return changed;
        },
      },
    }),
    close: () => bus.close(),
  };
}

/** Tries the configured port; when it was a default and is taken, the next few ports. */
export async function listenWithFallback(listen: (port: number) => Promise<{ port: number }>, port: number, explicit: boolean, log: Logger, what: 'MQTT' | 'HTTP'): Promise<number> {
  const tries = explicit || port === 0 ? 1 : 10;
  const envVar = what === 'MQTT' ? 'PULSEHUB_MQTT_PORT' : 'PULSEHUB_HTTP_PORT';
  for (let i = 0; ; i++) {
    try {
      return (await listen(port + i)).port;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      if (i === tries - 1) {
        throw new Error(`${what} port ${port + i} is in use${explicit ? '' : ` (tried ${port}..${port + i})`}; set ${envVar} to a free port`, { cause: err });
      }
      log.warn(`${what} port ${port + i} is in use (another ${what === 'MQTT' ? 'broker' : 'server'}?); trying ${port + i + 1}`);
    }
  }
}

export interface BrokerNode {
  readonly broker: PulseHubBroker;
  /** Where local clients (ingest, web) reach it. */
  readonly address: { host: string; port: number };
  /** The mqtts port, when PULSEHUB_MQTTS_PORT is set. */
  readonly tlsPort?: number;
  close: Closer;
}

export async function startBrokerNode(config: HubConfig, access: AccessControl, store: Store, log: Logger, extra: Partial<Parameters<typeof createBroker>[0]> = {}): Promise<BrokerNode> {
  // Redis errors are logged, not fatal: ioredis reconnects (a Redis restart is survived).
  const cluster = config.redisUrl ? await createClusterBackends({ url: config.redisUrl, onError: (err) => log.warn({ err: err.message }, 'broker Redis connection error; reconnecting') }) : undefined;
  const registry = store.devices;
  let broker: PulseHubBroker;
  try {
    broker = await createBroker({
      tokens: access.tokens, logger: log.child({ role: 'broker' }), allowAnonymous: config.allowAnonymous,
      heartbeatIntervalMs: config.brokerHeartbeatMs,
      maxFiltersPerSubscribe: config.limits.maxFiltersPerSubscribe, maxSubscriptionsPerSession: config.limits.maxSubscriptionsPerSession, maxTopicLength: config.limits.maxTopicLength,
      deviceInfo: async (id) => {
        const d = await store.devices.get(id);
        return d && { kind: d.kind, revoked: d.revokedAt !== null };
      },
      consentedAthletes: (viewer) => store.consents.athletesFor(viewer),
      // A client certificate signed by PULSEHUB_TLS_CA names a registered device (CN = device id).
      certificatePrincipal: async (cn, fingerprint) => {
        const d = await registry.get(cn);
        if (!d || d.revokedAt) return null;
        return { subject: d.id, kind: d.kind === 'gateway' ? 'gateway' : 'device', users: d.users, jti: `cert-${fingerprint.replace(/[^A-Za-z0-9]/g, '').slice(0, 48)}` };
      },
      ...(cluster ? { mq: cluster.mq, persistence: cluster.persistence } : {}),
      ...extra,
    });
  } catch (err) {
    await cluster?.close();
    throw err;
  }
  access.bus.subscribe((e) => {
    if (e.type === 'token') broker.disconnectWhere((p) => p.jti === e.jti);
    else if (e.type === 'device') broker.disconnectWhere((p) => p.subject === e.deviceId && (p.kind === 'device' || p.kind === 'gateway'));
    else broker.consentChanged(e.athleteId, e.viewerId, e.granted);
  });
  const close = async () => {
    await broker.close();
    await cluster?.close();
  };
  try {
    const port = await listenWithFallback((p) => broker.listen({ port: p, host: config.mqtt.host }), config.mqtt.port, config.mqtt.portExplicit, log, 'MQTT');
    const tls = config.mqtts;
    const tlsPort = tls ? (await broker.listen({ port: tls.port, host: config.mqtt.host, tls })).port : undefined;
    return { broker, address: { host: config.mqtt.host === '0.0.0.0' ? '127.0.0.1' : config.mqtt.host, port }, ...(tlsPort === undefined ? {} : { tlsPort }), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A broker node that runs the ingest pipeline in process: readings are committed before their PUBACK. */
export interface IntakeBrokerNode extends BrokerNode {
  readonly ingest: EmbeddedIngest;
}

/**
 * `pulsehub start` and (unless PULSEHUB_BROKER_INTAKE=false) each `pulsehub broker` node: the
 * broker builds the intake with its own publishLocal, so live events need no broker holder and,
 * with Redis, reach the web nodes of every broker. close() lets pending batches commit (their
 * PUBACKs still go out) before the broker stops.
 */
export async function startIntakeBrokerNode(config: HubConfig, access: AccessControl, store: Store, log: Logger, extra: { insights?: InsightSink } & Pick<EmbeddedIngestOptions, 'deliverLive' | 'deliverGoal'> = {}): Promise<IntakeBrokerNode> {
  const { retentionDays, batchWindowMs, workers } = config.ingest;
  const ingest = startEmbeddedIngest({ store, logger: log, ...(retentionDays !== undefined ? { retentionDays } : {}), ...(batchWindowMs > 0 ? { maxDelayMs: batchWindowMs } : {}), ...(workers > 0 ? { workers } : {}), ...extra });
  const node = await startBrokerNode(config, access, store, log, { intake: ingest.intake }).catch(async (err: unknown) => {
    await ingest.close();
    throw err;
  });
  return {
    ...node,
    ingest,
    close: async () => {
      await ingest.close();
      await node.close();
    },
  };
}

export async function startIngestRole(config: HubConfig, access: AccessControl, store: Store, broker: { host: string; port: number }, log: Logger): Promise<IngestService> {
  const name = 'pulsehub-ingest';
  const token = (await access.tokens.mint({ subject: name, kind: 'service' })).token;
  const { clientId, shareGroup, retentionDays, batchWindowMs, workers } = config.ingest;
  return startIngest({
    broker, token, username: name, clientId, store, logger: log.child({ role: 'ingest' }),
    ...(shareGroup ? { shareGroup } : {}), ...(retentionDays !== undefined ? { retentionDays } : {}),
    ...(batchWindowMs > 0 ? { maxDelayMs: batchWindowMs } : {}),
    ...(workers > 0 ? { workers } : {}),
  });
}

export interface WebRoleOptions {
  broker: { host: string; port: number };
  /** The in-process broker: serves MQTT over WebSocket on /mqtt and Prometheus metrics. */
  local?: PulseHubBroker;
  health?: () => Record<string, unknown>;
  /** More Prometheus text for `/metrics` (the embedded ingest's counters). */
  metrics?: () => string;
  /** The embedded ingest's door for manual entries (roles apart: none, the manual routes answer 503). */
  manualIntake?: ManualIntake;
  /**
   * Live events are handed to `web.hub.publish` in this process (the embedded intake of
   * `pulsehub start` on a single node): the LiveHub does not subscribe to the live topics over
   * MQTT. Off for roles apart and with Redis (other nodes' events arrive over MQTT).
   */
  liveInProcess?: boolean;
}

/**
 * The outbound workers (issue 14) run with every web node: the webhook sender (several nodes
 * share the outbox with SKIP LOCKED), when an analyzer is configured its sync, and when
 * PULSEHUB_BRIDGE_URL is set the Home Assistant bridge (one node at a time: the store's advisory
 * lock). Insights the sync stores are announced to the athlete's live viewers on every web node.
 */
async function startOutbound(config: HubConfig, store: Store, log: Logger, push: () => WebApp | undefined): Promise<{ analyzer: AnalyzerSync | undefined; bridge: Bridge | undefined; metrics: WebhookMetrics; close: Closer }> {
  const worker = createWebhookWorker({
    store, log: log.child({ role: 'webhooks' }), allowHosts: config.outbound.webhookAllowHosts,
    timeoutMs: config.outbound.webhookTimeoutMs, backoff: { maxAttempts: config.outbound.webhookMaxAttempts },
  });
  worker.start();
  const a = config.outbound.analyzer;
  const analyzer = a ? createAnalyzerSync({
    store, log: log.child({ role: 'analyzer' }), url: a.url, token: a.token, intervalMs: a.intervalMs,
    onInsights: (userId, rows) => {
      for (const r of rows) push()?.hub.announceInsight(userId, { ...r, at: r.at?.toISOString() ?? null, createdAt: r.createdAt.toISOString() });
    },
  }) : undefined;
  analyzer?.start();
  const b = config.outbound.bridge;
  let bridge: Bridge | undefined = b ? createBridge({
    store, log: log.child({ role: 'bridge' }), url: b.url, username: b.username, password: b.password,
    ca: b.caFile === undefined ? undefined : readFileSync(b.caFile), insecure: b.insecure,
    prefix: b.prefix, discoveryPrefix: b.discoveryPrefix, queueDir: b.queueDir, queueMax: b.queueMax,
  }) : undefined;
  // Another process on this host holds the queue directory: that one runs the bridge here.
  if (bridge && !(await bridge.start())) bridge = undefined;
  return { analyzer, bridge, metrics: createWebhookMetrics({ store, worker }), close: async () => { await worker.stop(); await analyzer?.stop(); await bridge?.stop(); } };
}

export async function startWebRole(config: HubConfig, access: AccessControl, store: Store, log: Logger, o: WebRoleOptions): Promise<{ web: WebApp; port: number; outbound: Closer }> {
  const local = o.local;
  const holder: { web?: WebApp } = {};
  const outbound = await startOutbound(config, store, log, () => holder.web);
  const { analyzer, bridge } = outbound;
  const web = await createWebApp({
    webhookAllowHosts: config.outbound.webhookAllowHosts,
    ...(analyzer ? { analyzerSyncNow: (userId: string) => analyzer.syncNow(userId, 'manual') } : {}),
    store: access.announcing(store), tokens: access.tokens, logger: log.child({ role: 'web' }), silenceMs: config.silenceMs, liveMaxAthletes: config.limits.liveMaxAthletes,
    // MQTT over WebSocket: the in-process broker, or (roles apart) relayed to o.broker.
    mqttHandler: local ? (stream, req) => local.handle(stream, req) : relayMqttTo(o.broker),
    revokeToken: (jti) => access.bus.publish({ type: 'token', jti }),
    // Replay runs the ingest adapters: passed in, so the web role does not import ingest.
    replayDeadLetters: (filter) => replayDeadLetters(store, filter),
    revokeDevice: (deviceId) => access.bus.publish({ type: 'device', deviceId }),
    health: () => ({ ...(local ? { broker: { clients: local.connectedClients } } : {}), ...(o.health?.() ?? {}) }),
    ...(o.manualIntake ? { manualIntake: o.manualIntake } : {}),
    // Broker and ingest counters, passed in: web defines /metrics but imports neither.
    // Every web node sends webhooks (and maybe bridges): their backlog is on its /metrics.
    metrics: async () => `${local ? await local.metrics.render() : ''}${o.metrics?.() ?? ''}${await outbound.metrics.render()}${bridge ? await bridge.metrics() : ''}`,
  });
  holder.web = web;
  // Revocations made on any node (another web process, the CLI) cut this node's streams too.
  access.bus.subscribe((e) => {
    if (e.type === 'token') {
      for (const s of web.sessions) if (s.jti === e.jti) s.close(WS_CLOSE.unauthenticated, 'token revoked');
    } else if (e.type === 'consent' && !e.granted) {
      web.hub.revokeViewer(e.athleteId, e.viewerId);
    }
  });
  try {
    const name = 'pulsehub-web';
    const token = (await access.tokens.mint({ subject: name, kind: 'service' })).token;
    // In one process events come from the intake directly; alerts and goal frames still over MQTT.
    await web.hub.connect({ ...o.broker, username: name, token, eventsInProcess: o.liveInProcess === true });
    const port = await listenWithFallback((p) => web.listen({ port: p, host: config.http.host }), config.http.port, config.http.portExplicit, log, 'HTTP');
    return { web, port, outbound: outbound.close };
  } catch (err) {
    await outbound.close();
    await web.close();
    throw err;
  }
}

