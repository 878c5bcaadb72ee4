// First: mqtt-packet must find the no-op debug logger when aedes loads it (quiet-debug.ts).
import './quiet-debug.js';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type Client, type AedesOptions } from 'aedes';
import pino, { type Logger } from 'pino';
import type { Principal } from '@pulsehub/contracts';
import { validateBrokerOptions, type BrokerOptions, type BrokerSettings } from './options.js';
import { enforceMaxPacketSize, guardSubscribePackets } from './limits.js';
import { trimParserState } from './parser-state.js';
import { createBrokerMetrics, watchClients, type BrokerMetrics } from './metrics.js';
import { createMemoryPersistence } from './memory-persistence.js';
import { drainIteratively, useConstantTimeQueues } from './emitter-queue.js';
import { forwardedFor, isTrusted, loadTls, readProxyHeader, type TlsFiles } from './transports.js';
import { ConsentViews } from './consents.js';
import { answerBadProtocolLevel, markRedeliveries } from './conformance.js'; // [issue 4]
import { attachSharedSubscriptions } from './shared-subscriptions.js'; // [issue 4]
import { shareClaimOf } from './cluster.js';
import { clientsOf, emitterOf, persistenceOf, requestWithConnDetails, setBrokerCounter, writableLengthOf } from './aedes-internals.js';
import type { BrokerContext, ClientState } from './context.js';
import { installHooks } from './hooks/index.js';
import { createTokenExpiry } from './hooks/token-expiry.js';
import { SubscriptionLimits } from './hooks/subscription-limits.js';

const noop = (): void => {};

export interface ListenOptions {
  port: number;
  host?: string;
  /** Serve MQTT over TLS (mqtts) with these files; `caFile` enables client certificates. */
  tls?: TlsFiles;
  /** Trusted proxies (settings.trustedProxies) on this listener send a PROXY protocol v1/v2 header first. */
  proxyProtocol?: boolean;
}

/** A message queued in a persistent session. */
export interface QueuedMessage {
  readonly topic: string;
  readonly messageId?: number;
  readonly brokerCounter: number;
}

export interface PulseHubBroker {
  readonly settings: BrokerSettings;
  readonly metrics: BrokerMetrics;
  /** Clients connected now (aedes's count: CONNACKed and not yet gone). */
  readonly connectedClients: number;
  /** Publishes from the broker itself (QoS 0, not retained) to local subscribers, e.g. live events of the in-process intake. */
  publishLocal(topic: string, payload: Buffer | string): void;
  /** Starts a TCP (or TLS) listener; port 0 picks a free one. */
  listen(options: ListenOptions): Promise<{ port: number; host: string }>;
  /** Serves one already-open stream (e.g. a WebSocket on the web server's `/mqtt`). */
  handle(stream: Duplex, request?: IncomingMessage): void;
  /** The principal of a connected client, if it authenticated. */
  principalOf(clientId: string): Principal | null | undefined;
  /** Disconnects every client whose principal matches; returns how many. */
  disconnectWhere(match: (principal: Principal) => boolean): number;
  /** A consent row changed: coach subscriptions (`%a` rules) follow at the next message. */
  consentChanged(athleteId: string, viewerId: string, granted: boolean): void;
  /** The messages queued for a client id's session (in-memory or Redis persistence), e.g. for a benchmark's check. */
  queued(clientId: string): AsyncIterable<QueuedMessage>;
  /** Stops accepting, lets in-flight QoS 1/2 flush (within shutdownGraceMs), then closes. */
  close(): Promise<void>;
}

/** The raw aedes object of each broker, for this package's own tests only (not exported by index.ts). */
const rawAedes = new WeakMap<PulseHubBroker, Aedes>();
export const aedesOf = (broker: PulseHubBroker): Aedes => rawAedes.get(broker)!;

/**
 * Makes a broker: aedes with our persistence and emitter tuning, one BrokerContext, and the
 * hooks of hooks/*.ts over it. The steps run in order, each using only what came before.
 */
export async function createBroker(options: BrokerOptions): Promise<PulseHubBroker> {
  const settings = validateBrokerOptions(options);
  const log: Logger = options.logger ?? pino({ level: 'silent' });
  const metrics = createBrokerMetrics();
  const serviceClientIds = new Set<string>();
  const aedes = await createAedes(settings, options, metrics, serviceClientIds);
  watchClients(metrics, aedes);
  const state = new WeakMap<Client, ClientState>();
  const publishLocal = (topic: string, payload: Buffer | string) => {
    aedes.publish({ cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload, qos: 0, retain: false, dup: false }, noop);
  };
  const ctx: BrokerContext = {
    aedes, settings, options, log, publishLocal, intake: options.intake?.(publishLocal), metrics, state, serviceClientIds,
    clients: () => clientsOf(aedes),
    pending: { keepalives: new WeakMap(), rejectedIds: new WeakSet() },
    sessionOwners: new Map(),
    consents: new ConsentViews(options.consentedAthletes),
    expiries: createTokenExpiry(state, metrics, log),
    subscriptionLimits: new SubscriptionLimits(settings, state, metrics, log),
    shared: attachSharedSubscriptions(aedes, log, options.shareClaim ?? shareClaimOf(options.persistence)), // [issue 4]
    flow: { accepting: true, inFlight: 0 },
  };
  installHooks(ctx);
  const sysTimer = settings.sysIntervalMs > 0 ? setInterval(() => publishSys(ctx), settings.sysIntervalMs) : undefined;
  sysTimer?.unref();
  const broker = brokerDoor(ctx, sysTimer);
  rawAedes.set(broker, aedes);
  return broker;
}

/** aedes with the broker's limits, persistence (service sessions unbounded) and emitter tuning; hooks come after. */
async function createAedes(settings: BrokerSettings, options: BrokerOptions, metrics: BrokerMetrics, serviceClientIds: Set<string>): Promise<Aedes> {
  const aedesOptions: AedesOptions = {
    connectTimeout: settings.connectTimeoutMs,
    drainTimeout: settings.drainTimeoutMs,
    queueLimit: settings.queueLimit,
    maxTopicLevels: settings.maxTopicLevels,
    heartbeatInterval: settings.heartbeatIntervalMs,
  };
  if (settings.id !== undefined) aedesOptions.id = settings.id;
  if (options.mq !== undefined) aedesOptions.mq = options.mq;
  // Sessions of service principals (ingest) are unbounded; others keep maxQueuedPerSession.
  aedesOptions.persistence = options.persistence ?? createMemoryPersistence({
    maxQueued: (clientId) => (serviceClientIds.has(clientId) ? Infinity : settings.maxQueuedPerSession),
    onDrop: () => metrics.dropped('queue_full'),
  });
  const aedes = await Aedes.createBroker(aedesOptions);
  useConstantTimeQueues(emitterOf(aedes));
  drainIteratively(emitterOf(aedes)); // [issue 11 soak]
  // Packets carry brokerId:brokerCounter, which clients use to drop duplicates and `$share`
  // claims use as a message id. Aedes restarts the counter at 0, so a restarted node with a
  // fixed id would repeat ids still remembered by clients on other nodes (their messages
  // dropped as duplicates) and by claims; start it from the clock instead (room for 1,000
  // messages per millisecond before it could run ahead of a later restart).
  setBrokerCounter(aedes, Date.now() * 1000);
  markRedeliveries(persistenceOf<Parameters<typeof markRedeliveries>[0]>(aedes)); // [MQTT-3.3.1-1]
  return aedes;
}

function publishSys({ aedes, metrics }: BrokerContext): void {
  const m = metrics.snapshot();
  const stats: [string, number][] = [['clients/connected', aedes.connectedClients], ['messages/received', m.received], ['messages/sent', m.sent], ['messages/dropped', m.dropped], ['messages/rate-limited', m.rateLimited]];
  for (const [name, value] of stats) aedes.publish({ cmd: 'publish', topic: `$SYS/${aedes.id}/${name}`, payload: Buffer.from(String(value)), qos: 0, retain: true, dup: false }, noop);
}

/** The public door: listeners, streams, principals, local publishes and close. */
function brokerDoor(ctx: BrokerContext, sysTimer: NodeJS.Timeout | undefined): PulseHubBroker {
  const { aedes, settings, metrics, log, state, flow } = ctx;
  const clients = ctx.clients;
  const serve = (conn: Duplex, req?: IncomingMessage): void => {
    const client = aedes.handle(conn, req);
    enforceMaxPacketSize(client, settings.maxPacketSize);
    answerBadProtocolLevel(client); // [MQTT-3.1.2-2]
    guardSubscribePackets(client, ctx.subscriptionLimits.guard); // [issue 11]
    trimParserState(client); // [issue 17 §2/§3]
  };

  const servers: Server[] = [];
  const onSocket = (proxyProtocol: boolean) => (socket: Socket) => {
    if (!flow.accepting) return void socket.destroy();
    // Live data is many small packets: without TCP_NODELAY, Nagle holds each one until the
    // peer's delayed ACK for the previous arrives (several ms of added latency).
    socket.setNoDelay(true);
    if (proxyProtocol && isTrusted(socket.remoteAddress, settings.trustedProxies)) {
      readProxyHeader(socket, settings.connectTimeoutMs).then(
        (connDetails) => serve(socket, requestWithConnDetails(connDetails)),
        (err: unknown) => log.warn({ ip: socket.remoteAddress, err: (err as Error).message }, 'PROXY header refused'),
      );
      return;
    }
    serve(socket);
  };

  return {
    settings,
    metrics,
    get connectedClients() {
      return aedes.connectedClients;
    },
    publishLocal: ctx.publishLocal,
    listen({ port, host = '127.0.0.1', tls, proxyProtocol = false }) {
      const handler = onSocket(proxyProtocol);
      const server: Server = tls ? createTlsServer(loadTls(tls), handler) : createServer(handler);
      servers.push(server);
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const addr = server.address();
          resolve({ port: typeof addr === 'object' && addr ? addr.port : port, host });
        });
      });
    },
    handle(stream, request) {
      if (!flow.accepting) return void stream.destroy();
      if (request) Object.assign(request, { connDetails: forwardedFor(request, settings.trustedProxies) });
      serve(stream, request);
    },
    principalOf(clientId) {
      const c = clients()[clientId];
      return c ? (state.get(c)?.access.principal ?? null) : undefined;
    },
    disconnectWhere(match) {
      let n = 0;
      for (const c of Object.values(clients())) {
        const p = state.get(c)?.access.principal;
        if (p && match(p)) {
          log.info({ clientId: c.id, subject: p.subject }, 'disconnecting client');
          c.close();
          n++;
        }
      }
      return n;
    },
    consentChanged(athleteId, viewerId, granted) {
      ctx.consents.update(athleteId, viewerId, granted);
    },
    queued(clientId) {
      return persistenceOf<{ outgoingStream(c: { id: string }): AsyncIterable<QueuedMessage> }>(aedes).outgoingStream({ id: clientId });
    },
    async close() {
      if (!flow.accepting) return;
      flow.accepting = false;
      if (sysTimer) clearInterval(sysTimer);
      ctx.expiries.close();
      // Stop accepting first; server.close() resolves once its sockets are gone.
      const stopped = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      // Let publishes already received reach their subscribers and queued bytes leave.
      const deadline = Date.now() + settings.shutdownGraceMs;
      const busy = () => flow.inFlight > 0 || Object.values(clients()).some((c) => writableLengthOf(c) > 0);
      while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      ctx.shared.close(); // [issue 4]
      await new Promise<void>((r) => aedes.close(() => r()));
      await Promise.all(stopped);
    },
  };
}
