import { z } from 'zod';
import type { Logger } from 'pino';
import type { TokenService } from '@pulsehub/auth';
import { PulseHubError, SubjectKind, type Principal } from '@pulsehub/contracts';
import { DEFAULT_RULES, PartialDeny, TopicRule } from './rules.js';
import { DEFAULT_RATE_LIMITS, RateLimit } from './limits.js';

export const BrokerOptionsSchema = z
  .object({
    id: z.string().min(1).optional(),
    allowAnonymous: z.boolean().default(false),
    /** Seconds a client may stay silent before CONNECT (aedes connectTimeout). */
    connectTimeoutMs: z.number().int().positive().default(30_000),
    /** A frozen subscriber gets this long to drain before it is dropped (aedes drainTimeout). */
    drainTimeoutMs: z.number().int().positive().default(10_000),
    /** Packets a client may send before its CONNECT is answered (aedes queueLimit). */
    queueLimit: z.number().int().positive().default(1000),
    maxTopicLevels: z.number().int().min(1).max(100).default(16),
    /** Longest topic name or filter in UTF-8 bytes: a longer filter gets SUBACK 0x80, a longer PUBLISH topic closes the connection. */
    maxTopicLength: z.number().int().min(16).max(65_535).default(512),
    /** Filters one SUBSCRIBE may carry; the ones past it get SUBACK 0x80 (the connection stays). */
    maxFiltersPerSubscribe: z.number().int().positive().default(64),
    /**
     * Filters one session may hold; new ones past it get SUBACK 0x80 until some are
     * unsubscribed (re-subscribing to a held filter still works). Without it one client made
     * 100,000 subscriptions in 0.8 s (issue 11).
     */
    maxSubscriptionsPerSession: z.number().int().positive().default(256),
    /**
     * Subject kinds whose sessions are not bound by maxSubscriptionsPerSession: `service` is
     * the hub's own ingest and web roles, holding a token only the hub mints. Admins are
     * bound: a console needs a few filters, and a leaked admin token must not exhaust memory.
     */
    subscriptionLimitExempt: z.array(SubjectKind).default(['service']),
    /** Largest MQTT packet accepted, checked at the fixed header (Mosquitto max_packet_size). */
    maxPacketSize: z.number().int().min(64).max(268_435_455).default(256 * 1024),
    /** CONNECTs beyond this many connected clients get CONNACK 3 (server unavailable). */
    maxConnections: z.number().int().positive().default(100_000),
    /** Keepalive bounds in seconds; outside them CONNACK 2 like Mosquitto's max_keepalive (0 counts as outside when keepaliveMaxSec is set below 65535). */
    keepaliveMaxSec: z.number().int().min(1).max(65_535).default(65_535),
    /** Publish rate limits per device kind (registry) or subject kind; a kind not listed is not limited. `false` turns limiting off. */
    rateLimits: z.union([z.record(z.string(), RateLimit), z.literal(false)]).default(DEFAULT_RATE_LIMITS),
    /** Topic rules, first match decides (see rules.ts). */
    rules: z.array(TopicRule).default([...DEFAULT_RULES]),
    /** A SUBSCRIBE whose filter only partly overlaps a deny rule: `refuse` (SUBACK 0x80) or `filter` (granted, denied topics dropped at delivery, like Mosquitto). */
    partialDeny: PartialDeny.default('refuse'),
    /** Addresses allowed to send PROXY protocol headers / X-Forwarded-For. */
    trustedProxies: z.array(z.string()).default([]),
    /**
     * aedes' node heartbeat on the shared emitter: a node silent for 3 intervals is dead, and
     * another node publishes its clients' wills (checked every 4 intervals).
     */
    heartbeatIntervalMs: z.number().int().min(100).default(60_000),
    /** How often $SYS statistics are published; 0 turns them off. */
    sysIntervalMs: z.number().int().min(0).default(10_000),
    /**
     * Messages kept per persistent session (queued while offline or awaiting PUBACK), like
     * Mosquitto's max_queued_messages; the oldest is dropped past it. `service` sessions
     * (ingest) are not bounded: they must not lose what they have not yet committed.
     * Applies to the in-memory persistence; with Redis, aedes-persistence-redis' own bound.
     */
    maxQueuedPerSession: z.number().int().positive().default(1000),
    /** close(): time allowed for in-flight QoS 1/2 to flush before clients are cut. */
    shutdownGraceMs: z.number().int().min(0).default(5_000),
  })
  .strict();

export type BrokerSettings = z.infer<typeof BrokerOptionsSchema>;

/** What the device registry knows about a connecting device (rate-limit class, revocation). */
export interface DeviceInfo {
  /** Registry kind: watch, scale, cuff, phone, gateway. */
  kind: string;
  revoked: boolean;
}

/** Publishes from the broker itself (QoS 0, not retained) to local subscribers. */
export type PublishLocal = (topic: string, payload: Buffer | string) => void;
/** Takes one stamped events publish; `committed` runs once it is stored. */
export type IntakeSink = (topic: string, payload: Buffer, committed: () => void) => void;

export interface BrokerOptions extends z.input<typeof BrokerOptionsSchema> {
  /**
   * In-process ingest: every authorized publish on `users/<u>/events` (after stamping) is handed
   * over, and a QoS 1/2 publish is acknowledged to the device only after `committed` runs.
   * A factory: the broker calls it once with its `publishLocal`, so the intake can publish
   * live events on the broker it feeds without the caller holding the broker.
   */
  intake?: (publishLocal: PublishLocal) => IntakeSink;
  /** Verifies the CONNECT password (a PulseHub JWT). Required unless `allowAnonymous`. */
  tokens?: TokenService;
  logger?: Logger;
  /** Looks a device up in the registry at CONNECT; undefined: not registered (token alone decides). */
  deviceInfo?: (deviceId: string) => Promise<DeviceInfo | undefined>;
  /** Athletes currently consenting to a viewer (coach MQTT subscriptions, `%a`). */
  consentedAthletes?: (viewerId: string) => Promise<readonly string[]>;
  /** Maps a verified TLS client certificate (its CN) to a principal; null refuses. */
  certificatePrincipal?: (commonName: string, fingerprint: string) => Promise<Principal | null>;
  /** Cluster backends (see cluster.ts); default in-memory. */
  mq?: unknown;
  persistence?: unknown;
  /** Cluster-wide `$share` claim; defaults to the one createClusterBackends attaches to its persistence. */
  shareClaim?: (key: string) => Promise<boolean>;
}

export function validateBrokerOptions(options: BrokerOptions): BrokerSettings {
  const { tokens, logger: _l, intake: _in, deviceInfo: _d, consentedAthletes: _c, certificatePrincipal: _p, mq: _m, persistence: _s, shareClaim: _sc, ...rest } = options;
  const parsed = BrokerOptionsSchema.safeParse(rest);
  if (!parsed.success) throw new PulseHubError('PH_CONFIG_INVALID', `broker options: ${z.prettifyError(parsed.error)}`);
  if (!tokens && !parsed.data.allowAnonymous) {
    throw new PulseHubError('PH_CONFIG_INVALID', 'broker options: give `tokens` (a TokenService) or set allowAnonymous: true');
  }
  return Object.freeze(parsed.data);
}
