import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type Client, type AedesOptions } from 'aedes';
import pino, { type Logger } from 'pino';
import { isPulseHubError, parseEventsTopic, stampedEventsTopic, type Principal } from '@pulsehub/contracts';
import { compileAccess, type ClientAccess } from './policy.js';
import { validateBrokerOptions, type BrokerOptions, type BrokerSettings } from './options.js';
import { CONNACK, connackError } from './return-codes.js';
import { enforceMaxPacketSize, hasReplacementChar, TokenBucket, type RateLimit } from './limits.js';
import { createBrokerMetrics, type BrokerMetrics } from './metrics.js';
import { createMemoryPersistence } from './memory-persistence.js';
import { useConstantTimeQueues } from './emitter-queue.js';
import { forwardedFor, isTrusted, loadTls, readProxyHeader, verifiedCertificateName, type ConnDetails, type TlsFiles } from './transports.js';
import { ConsentViews } from './consents.js';
import { answerBadProtocolLevel, capToSubscriptionQos, connectViolation, deliverAtHighestQos, markRedeliveries, publishViolation } from './conformance.js'; // [issue 4]
import { attachSharedSubscriptions, isSharedFilter, parseSharedFilter, type SharedSubscriptions } from './shared-subscriptions.js'; // [issue 4]
import { shareClaimOf } from './cluster.js';

export interface ListenOptions {
  port: number;
  host?: string;
  /** Serve MQTT over TLS (mqtts) with these files; `caFile` enables client certificates. */
  tls?: TlsFiles;
  /** Trusted proxies (settings.trustedProxies) on this listener send a PROXY protocol v1/v2 header first. */
  proxyProtocol?: boolean;
}

export interface PulseHubBroker {
  readonly aedes: Aedes;
  readonly settings: BrokerSettings;
  readonly metrics: BrokerMetrics;
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
  /** Stops accepting, lets in-flight QoS 1/2 flush (within shutdownGraceMs), then closes. */
  close(): Promise<void>;
}

type ClientMap = Record<string, Client>;

/**
 * Per-client state, kept small: 10,000 idle devices hold 10,000 of these. The rules inside
 * `access` are shared per kind (rules.ts); the token bucket is made at the first PUBLISH.
 */
interface ClientState {
  readonly access: ClientAccess;
  readonly limit: RateLimit | undefined;
  bucket: TokenBucket | undefined;
  /** Registry kind (watch, scale…) or subject kind, for logs and rate limits. */
  readonly deviceKind: string;
  /** The last events topic stamped with the publisher, and its stamped form (one device, one topic). */
  stampFrom: string | undefined;
  stampTo: string | undefined;
  /** deliverAtHighestQos is installed (at the first SUBSCRIBE). */
  highestQos: boolean;
}

const noop = (): void => {};
const toBuffer = (p: Buffer | string): Buffer => (typeof p === 'string' ? Buffer.from(p) : p);

export async function createBroker(options: BrokerOptions): Promise<PulseHubBroker> {
  const settings = validateBrokerOptions(options);
  const log: Logger = options.logger ?? pino({ level: 'silent' });
  const tokens = options.tokens;
  const state = new WeakMap<Client, ClientState>();
  const rejectedIds = new WeakSet<Client>(); // [issue 4]
  const keepalives = new WeakMap<Client, number>();
  /** Client id → the subject ('' when anonymous) whose session it is; kept while a persistent session may exist. */
  const sessionOwners = new Map<string, string>();
  const consents = new ConsentViews(options.consentedAthletes);
  let inFlight = 0;
  let accepting = true;

  const addressOf = (client: Client): string | undefined =>
    (client.req as { connDetails?: ConnDetails } | undefined)?.connDetails?.ipAddress ?? (client.conn as Partial<Socket>).remoteAddress;

  const admit = async (client: Client, principal: Principal | null): Promise<void> => {
    let deviceKind: string = principal?.kind ?? 'anonymous';
    if (principal && (principal.kind === 'device' || principal.kind === 'gateway') && options.deviceInfo) {
      const info = await options.deviceInfo(principal.subject);
      if (info?.revoked) throw Object.assign(new Error('device revoked'), { code: 'PH_AUTH_TOKEN_REVOKED' });
      if (info) deviceKind = info.kind;
    }
    const athletes = principal?.kind === 'coach' ? await consents.acquire(principal.subject) : undefined;
    const access = compileAccess(principal, { allowAnonymous: settings.allowAnonymous, rules: settings.rules, clientId: client.id, partialDeny: settings.partialDeny, ...(athletes ? { athletes } : {}) });
    const limit = settings.rateLimits === false ? undefined : (settings.rateLimits[deviceKind] ?? (principal ? settings.rateLimits[principal.kind] : undefined));
    state.set(client, { access, limit, bucket: undefined, deviceKind, stampFrom: undefined, stampTo: undefined, highestQos: false });
    if (principal?.kind === 'service') serviceClientIds.add(client.id);
  };

  const aedesOptions: AedesOptions = {
    connectTimeout: settings.connectTimeoutMs,
    drainTimeout: settings.drainTimeoutMs,
    queueLimit: settings.queueLimit,
    maxTopicLevels: settings.maxTopicLevels,

    preConnect(client, packet, done) {
      keepalives.set(client, packet.keepalive ?? 0);
      // [issue 4] checks Aedes skips; a zero-length id with clean 0 gets CONNACK 2 in authenticate.
      const violation = connectViolation(packet);
      if (violation === 'client-id-rejected') rejectedIds.add(client);
      else if (violation !== null) return done(new Error(`malformed CONNECT: ${violation}`), false);
      done(null, accepting);
    },

    authenticate(client, username, password, done) {
      const refuse = (code: 2 | 3 | 4 | 5, reason: string, extra: object = {}) => {
        metrics.connectRefused(reason);
        log.warn({ clientId: client.id, username, ip: addressOf(client), reason, ...extra }, 'connect refused');
        done(connackError(code, reason), false);
      };
      if (rejectedIds.has(client)) return refuse(2, 'client id rejected: zero-length id needs clean session [MQTT-3.1.3-8]'); // [issue 4]
      const accept = (principal: Principal | null) => {
        // A client id belongs to the subject that holds its session: another subject may not take
        // it over (MQTT would hand it the session and its queued messages) [MQTT-3.1.4-2].
        const who = principal?.subject ?? '';
        const owner = sessionOwners.get(client.id);
        if (owner !== undefined && owner !== who) return refuse(CONNACK.identifierRejected, 'PH_BROKER_CLIENT_ID_TAKEN', { subject: who });
        sessionOwners.set(client.id, who);
        return admitAndAnswer(principal);
      };
      const admitAndAnswer = (principal: Principal | null) =>
        admit(client, principal).then(
          () => {
            const s = state.get(client);
            log.debug({ clientId: client.id, subject: principal?.subject, kind: principal?.kind, device: s?.deviceKind, ip: addressOf(client) }, 'client authenticated');
            done(null, true);
          },
          (err: unknown) => refuse(CONNACK.badUsernameOrPassword, (err as { code?: string }).code ?? 'PH_AUTH_TOKEN_INVALID', { detail: (err as Error).message }),
        );

      if (aedes.connectedClients >= settings.maxConnections) return refuse(CONNACK.serverUnavailable, 'PH_BROKER_TOO_MANY_CONNECTIONS');
      // Like Mosquitto's max_keepalive for MQTT 3.1.1 clients: identifier rejected (2), not 3.1.1's unused code 6.
      const keepalive = keepalives.get(client) ?? 0;
      keepalives.delete(client);
      if (settings.keepaliveMaxSec < 65_535 && (keepalive === 0 || keepalive > settings.keepaliveMaxSec)) {
        return refuse(CONNACK.identifierRejected, 'PH_BROKER_KEEPALIVE_OUT_OF_BOUNDS', { keepalive });
      }
      if (password === undefined || password.length === 0) {
        const cert = verifiedCertificateName(client.conn);
        if (cert && options.certificatePrincipal) {
          if (username !== undefined && username !== cert.cn) return refuse(CONNACK.badUsernameOrPassword, 'PH_AUTH_USERNAME_MISMATCH', { subject: cert.cn });
          options.certificatePrincipal(cert.cn, cert.fingerprint).then(
            (p) => (p ? void accept(p) : refuse(CONNACK.notAuthorized, 'PH_AUTH_FORBIDDEN', { certificate: cert.cn })),
            (err: unknown) => refuse(CONNACK.serverUnavailable, 'PH_STORE_UNAVAILABLE', { detail: (err as Error).message }),
          );
          return;
        }
        if (settings.allowAnonymous && username === undefined) return void accept(null);
        return refuse(CONNACK.notAuthorized, 'PH_AUTH_TOKEN_MISSING');
      }
      if (!tokens) return refuse(CONNACK.badUsernameOrPassword, 'PH_AUTH_TOKEN_INVALID');
      tokens.verify(password.toString('utf8')).then(
        (principal) => {
          if (username !== principal.subject) {
            return refuse(CONNACK.badUsernameOrPassword, 'PH_AUTH_USERNAME_MISMATCH', { subject: principal.subject });
          }
          void accept(principal);
        },
        (err: unknown) => {
          const reason = isPulseHubError(err) ? err.code : 'PH_AUTH_TOKEN_INVALID';
          refuse(CONNACK.badUsernameOrPassword, reason, { detail: (err as Error).message });
        },
      );
    },

    authorizePublish(client, packet, callback) {
      // client is null for messages the broker publishes itself (e.g. $SYS heartbeats).
      if (client === null) return callback(null);
      const s = state.get(client);
      // A topic that is not well-formed UTF-8 closes the connection [MQTT-1.5.3-1].
      if (s?.access.canPublish(packet.topic) !== true || hasReplacementChar(packet.topic) || publishViolation(packet) !== null) {
        metrics.dropped('acl');
        log.warn({ clientId: client.id, subject: s?.access.principal?.subject, device: s?.deviceKind, topic: packet.topic }, 'publish refused: not authorized');
        // MQTT 3.1.1 has no negative PUBACK: the refused client is disconnected.
        return callback(new Error(`not authorized to publish to ${packet.topic}`));
      }
      const principal = s.access.principal;
      let stamped = false;
      if (principal !== null) {
        // Stamp the publisher so ingest knows which device spoke (see stampedEventsTopic).
        if (packet.topic === s.stampFrom && s.stampTo !== undefined) packet.topic = s.stampTo;
        else {
          const userId = parseEventsTopic(packet.topic);
          if (userId !== null) {
            s.stampFrom = packet.topic;
            packet.topic = s.stampTo = stampedEventsTopic(userId, principal.subject);
          }
        }
        stamped = packet.topic === s.stampTo;
      }
      metrics.messageIn(packet.qos, packet.payload.length);
      inFlight++;
      if (s.limit !== undefined) s.bucket ??= new TokenBucket(s.limit);
      // With an in-process intake, a device's reading is stored before its PUBACK is written
      // (aedes writes it once this callback returns): what a device was told is delivered is
      // in the database, even if the process dies the next instant.
      const intake = options.intake;
      const proceed = !intake || !stamped
        ? () => callback(null)
        : packet.qos === 0
          ? () => (intake(packet.topic, toBuffer(packet.payload), noop), callback(null))
          : () => intake(packet.topic, toBuffer(packet.payload), () => callback(null));
      const wait = s.bucket?.take() ?? 0;
      if (wait === 0) return proceed();
      // Over its rate: hold this packet (and so this client's socket) instead of dropping
      // it. aedes reads the client's next packet only after this one, so TCP pushes back.
      metrics.rateLimited();
      setTimeout(proceed, wait);
    },

    published(packet, client, done) {
      if (client) inFlight = Math.max(0, inFlight - 1);
      done();
    },

    authorizeSubscribe(client, sub, callback) {
      const s = state.get(client);
      // [MQTT-3.3.5-1] Installed at the first SUBSCRIBE (before Aedes stores the subscription),
      // so the many clients that never subscribe (devices) do not carry the wrapper.
      if (s && !s.highestQos) {
        deliverAtHighestQos(client);
        s.highestQos = true;
      }
      if (hasReplacementChar(sub.topic)) return callback(new Error('topic filter is not valid UTF-8'), null);
      // [issue 4] $share/<group>/<filter>: the policy judges the inner filter; shared-subscriptions.ts routes it.
      if (isSharedFilter(sub.topic)) {
        const sharedFilter = parseSharedFilter(sub.topic);
        if (sharedFilter && s?.access.canSubscribe(sharedFilter.filter)) {
          shared.join(client, sharedFilter, sub.qos);
          return callback(null, sub);
        }
      } else if (s?.access.canSubscribe(sub.topic)) return callback(null, sub);
      log.warn({ clientId: client.id, subject: s?.access.principal?.subject, device: s?.deviceKind, filter: sub.topic }, 'subscribe refused: not authorized');
      // A null subscription makes aedes answer SUBACK 0x80 for it [MQTT-3.9.3-2]; the connection stays up.
      callback(null, null);
    },

    authorizeForward(client, packet) {
      const a = state.get(client)?.access;
      if (a && (a.canReceive ? a.canReceive(packet.topic) : a.canSubscribe(packet.topic))) {
        capToSubscriptionQos(client, packet); // [issue 4] [MQTT-3.8.4-6]
        metrics.messageOut(packet.qos);
        return packet;
      }
      metrics.dropped('acl_forward');
      return null;
    },
  };
  if (settings.id !== undefined) aedesOptions.id = settings.id;
  if (options.mq !== undefined) aedesOptions.mq = options.mq;
  // Sessions of service principals (ingest) are unbounded; others keep maxQueuedPerSession.
  const serviceClientIds = new Set<string>();
  aedesOptions.persistence = options.persistence ?? createMemoryPersistence({
    maxQueued: (clientId) => (serviceClientIds.has(clientId) ? Infinity : settings.maxQueuedPerSession),
    onDrop: () => metrics.dropped('queue_full'),
  });

  const aedes = await Aedes.createBroker(aedesOptions);
  useConstantTimeQueues((aedes as unknown as { mq: unknown }).mq);
  // Packets carry brokerId:brokerCounter, which clients use to drop duplicates and `$share`
  // claims use as a message id. Aedes restarts the counter at 0, so a restarted node with a
  // fixed id would repeat ids still remembered by clients on other nodes (their messages
  // dropped as duplicates) and by claims; start it from the clock instead (room for 1,000
  // messages per millisecond before it could run ahead of a later restart).
  (aedes as unknown as { counter: number }).counter = Date.now() * 1000;
  const shared: SharedSubscriptions = attachSharedSubscriptions(aedes, log, options.shareClaim ?? shareClaimOf(options.persistence)); // [issue 4]
  const clients = (): ClientMap => (aedes as unknown as { clients: ClientMap }).clients;
  const metrics = createBrokerMetrics(aedes, clients);
  markRedeliveries((aedes as unknown as { persistence: Parameters<typeof markRedeliveries>[0] }).persistence); // [MQTT-3.3.1-1]
  aedes.on('clientError', (client, err) => {
    if (err.message === 'drain timeout') metrics.dropped('slow_subscriber');
    log.debug({ clientId: client.id, ip: addressOf(client), err: err.message }, 'client error');
  });
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client?.id, err: err.message }, 'connection error'));
  aedes.on('clientDisconnect', (client) => {
    const p = state.get(client)?.access.principal;
    if (p?.kind === 'coach') consents.release(p.subject);
    // A clean session ends with its connection; a persistent one keeps its owner.
    const current = clients()[client.id];
    if (client.clean && (current === undefined || current === client)) sessionOwners.delete(client.id);
  });

  const sysTimer = settings.sysIntervalMs > 0 ? setInterval(publishSys, settings.sysIntervalMs) : undefined;
  sysTimer?.unref();
  function publishSys(): void {
    const m = metrics.snapshot();
    const stats: [string, number][] = [['clients/connected', aedes.connectedClients], ['messages/received', m.received], ['messages/sent', m.sent], ['messages/dropped', m.dropped], ['messages/rate-limited', m.rateLimited]];
    for (const [name, value] of stats) aedes.publish({ cmd: 'publish', topic: `$SYS/${aedes.id}/${name}`, payload: Buffer.from(String(value)), qos: 0, retain: true, dup: false }, () => {});
  }

  const serve = (conn: Duplex, req?: IncomingMessage): void => {
    const client = aedes.handle(conn, req);
    enforceMaxPacketSize(client, settings.maxPacketSize);
    answerBadProtocolLevel(client); // [MQTT-3.1.2-2]
  };

  const servers: Server[] = [];
  const onSocket = (proxyProtocol: boolean) => (socket: Socket) => {
    if (!accepting) return void socket.destroy();
    // Live data is many small packets: without TCP_NODELAY, Nagle holds each one until the
    // peer's delayed ACK for the previous arrives (several ms of added latency).
    socket.setNoDelay(true);
    if (proxyProtocol && isTrusted(socket.remoteAddress, settings.trustedProxies)) {
      readProxyHeader(socket, settings.connectTimeoutMs).then(
        (connDetails) => serve(socket, { connDetails } as unknown as IncomingMessage),
        (err: unknown) => log.warn({ ip: socket.remoteAddress, err: (err as Error).message }, 'PROXY header refused'),
      );
      return;
    }
    serve(socket);
  };

  return {
    aedes,
    settings,
    metrics,
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
      if (!accepting) return void stream.destroy();
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
      consents.update(athleteId, viewerId, granted);
    },
    async close() {
      if (!accepting) return;
      accepting = false;
      if (sysTimer) clearInterval(sysTimer);
      // Stop accepting first; server.close() resolves once its sockets are gone.
      const stopped = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      // Let publishes already received reach their subscribers and queued bytes leave.
      const deadline = Date.now() + settings.shutdownGraceMs;
      const busy = () => inFlight > 0 || Object.values(clients()).some((c) => ((c.conn as { writableLength?: number }).writableLength ?? 0) > 0);
      while (busy() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      shared.close(); // [issue 4]
      await new Promise<void>((r) => aedes.close(() => r()));
      await Promise.all(stopped);
    },
  };
}
