import { createServer, type Server } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { Aedes, type Client, type AedesOptions } from 'aedes';
import pino, { type Logger } from 'pino';
import { isPulseHubError, parseEventsTopic, stampedEventsTopic, type Principal } from '@pulsehub/contracts';
import { compileAccess, type ClientAccess } from './policy.js';
import { validateBrokerOptions, type BrokerOptions, type BrokerSettings } from './options.js';
import { CONNACK, connackError } from './return-codes.js';

export interface ListenOptions {
  port: number;
  host?: string;
}

export interface PulseHubBroker {
  readonly aedes: Aedes;
  readonly settings: BrokerSettings;
  /** Starts a TCP listener; port 0 picks a free one. */
  listen(options: ListenOptions): Promise<{ port: number; host: string }>;
  /** Serves one already-open stream (e.g. a WebSocket on the web server's `/mqtt`). */
  handle(stream: Duplex, request?: IncomingMessage): void;
  /** The principal of a connected client, if it authenticated. */
  principalOf(clientId: string): Principal | null | undefined;
  /** Disconnects every client whose principal matches; returns how many. */
  disconnectWhere(match: (principal: Principal) => boolean): number;
  close(): Promise<void>;
}

type ClientMap = Record<string, Client>;

export async function createBroker(options: BrokerOptions): Promise<PulseHubBroker> {
  const settings = validateBrokerOptions(options);
  const log: Logger = options.logger ?? pino({ level: 'silent' });
  const tokens = options.tokens;
  const access = new WeakMap<Client, ClientAccess>();

  const aedesOptions: AedesOptions = {
    connectTimeout: settings.connectTimeoutMs,
    drainTimeout: settings.drainTimeoutMs,
    queueLimit: settings.queueLimit,
    maxTopicLevels: settings.maxTopicLevels,

    authenticate(client, username, password, done) {
      const refuse = (code: 4 | 5, reason: string, extra: object = {}) => {
        log.warn({ clientId: client.id, username, reason, ...extra }, 'connect refused');
        done(connackError(code, reason), false);
      };
      if (password === undefined || password.length === 0) {
        if (settings.allowAnonymous && username === undefined) {
          access.set(client, compileAccess(null, settings));
          return done(null, true);
        }
        return refuse(CONNACK.notAuthorized, 'PH_AUTH_TOKEN_MISSING');
      }
      if (!tokens) return refuse(CONNACK.badUsernameOrPassword, 'PH_AUTH_TOKEN_INVALID');
      tokens.verify(password.toString('utf8')).then(
        (principal) => {
          if (username !== principal.subject) {
            return refuse(CONNACK.badUsernameOrPassword, 'PH_AUTH_USERNAME_MISMATCH', { subject: principal.subject });
          }
          access.set(client, compileAccess(principal, settings));
          log.debug({ clientId: client.id, subject: principal.subject, kind: principal.kind }, 'client authenticated');
          done(null, true);
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
      const a = access.get(client);
      if (a?.canPublish(packet.topic)) {
        const principal = a.principal;
        if (principal !== null) {
          // Stamp the publisher so ingest knows which device spoke (see stampedEventsTopic).
          const userId = parseEventsTopic(packet.topic);
          if (userId !== null) packet.topic = stampedEventsTopic(userId, principal.subject);
        }
        return callback(null);
      }
      log.warn({ clientId: client.id, subject: a?.principal?.subject, topic: packet.topic }, 'publish refused: not authorized');
      // MQTT 3.1.1 has no negative PUBACK: the refused client is disconnected.
      callback(new Error(`not authorized to publish to ${packet.topic}`));
    },

    authorizeSubscribe(client, sub, callback) {
      const a = access.get(client);
      if (a?.canSubscribe(sub.topic)) return callback(null, sub);
      log.warn({ clientId: client.id, subject: a?.principal?.subject, filter: sub.topic }, 'subscribe refused: not authorized');
      // A null subscription makes aedes answer SUBACK 0x80 for it [MQTT-3.9.3-2]; the connection stays up.
      callback(null, null);
    },
  };
  if (settings.id !== undefined) aedesOptions.id = settings.id;

  const aedes = await Aedes.createBroker(aedesOptions);
  aedes.on('clientError', (client, err) => log.debug({ clientId: client.id, err: err.message }, 'client error'));
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client?.id, err: err.message }, 'connection error'));

  const servers: Server[] = [];
  const clients = (): ClientMap => (aedes as unknown as { clients: ClientMap }).clients;

  return {
    aedes,
    settings,
    listen({ port, host = '127.0.0.1' }) {
      const server = createServer((socket) => aedes.handle(socket));
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
      aedes.handle(stream, request);
    },
    principalOf(clientId) {
      const c = clients()[clientId];
      return c ? (access.get(c)?.principal ?? null) : undefined;
    },
    disconnectWhere(match) {
      let n = 0;
      for (const c of Object.values(clients())) {
        const p = access.get(c)?.principal;
        if (p && match(p)) {
          log.info({ clientId: c.id, subject: p.subject }, 'disconnecting client');
          c.close();
          n++;
        }
      }
      return n;
    },
    async close() {
      // Stop accepting first, then close the clients; server.close() resolves once its sockets are gone.
      const stopped = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
      await new Promise<void>((r) => aedes.close(() => r()));
      await Promise.all(stopped);
    },
  };
}
