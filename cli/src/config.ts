import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { PulseHubError } from '@pulsehub/contracts';

const port = z.coerce.number().int().min(0).max(65535);
const secret = z.string().refine((s) => Buffer.from(s, 'base64url').length >= 32, { error: 'must be base64url of at least 32 random bytes (openssl rand -base64 32 | tr "+/" "-_" | tr -d =)' });

/**
 * Why a signing secret is too weak for production, or undefined. The secret is the whole of
 * token security: 32+ bytes that look random (at least 16 distinct byte values, not all
 * printable ASCII) — an all-zero key, one repeated byte, a short repeated pattern or a
 * password-like string is refused.
 */
export function weakSecretReason(secret: string): string | undefined {
  const bytes = Buffer.from(secret, 'base64url');
  if (bytes.length < 32) return `is ${bytes.length} bytes once decoded; use at least 32 random bytes`;
  const distinct = new Set(bytes).size;
  if (distinct < 16) return `has only ${distinct} distinct byte values (low entropy); use 32 random bytes`;
  if (bytes.every((b) => b >= 0x20 && b < 0x7f)) return 'decodes to printable text (a password, not random bytes; low entropy); use 32 random bytes';
  return undefined;
}
const HOW_TO = '(openssl rand -base64 32 | tr "+/" "-_" | tr -d =)';

/** A topic prefix of the bridge: levels of letters, digits, `_`, `-`, `.`, no wildcard, no empty level. */
const TOPIC_PREFIX = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;
const TOPIC_PREFIX_HELP = 'topic levels of A-Z a-z 0-9 _ . - separated by /, no wildcards, no leading or trailing /';

const EnvSchema = z.object({
  PULSEHUB_MODE: z.enum(['development', 'production']).default('development'),
  PULSEHUB_DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, { error: 'must be a postgres:// URL' }).optional(),
  PULSEHUB_MQTT_HOST: z.string().default('127.0.0.1'),
  PULSEHUB_MQTT_PORT: port.optional(),
  PULSEHUB_HTTP_HOST: z.string().default('127.0.0.1'),
  PULSEHUB_HTTP_PORT: port.optional(),
  PULSEHUB_JWT_SECRET: secret.optional(),
  PULSEHUB_JWT_KID: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/).default('k1'),
  /** Comma-separated kid:secret pairs still accepted for verification during a key rotation. */
  PULSEHUB_JWT_PREVIOUS: z.string().optional(),
  PULSEHUB_SILENCE_MS: z.coerce.number().int().min(1000).max(3_600_000).default(10_000),
  PULSEHUB_ALLOW_ANONYMOUS: z.enum(['true', 'false']).default('false'),
  /** Where the `ingest` and `web` roles reach a broker (default: this config's MQTT port on loopback). */
  PULSEHUB_BROKER_URL: z.string().regex(/^mqtt:\/\/[^/]+:\d+\/?$/, { error: 'must be mqtt://host:port' }).optional(),
  /** MQTT over TLS: a port, a certificate and its key; a CA enables device client certificates. */
  PULSEHUB_MQTTS_PORT: port.optional(),
  PULSEHUB_TLS_CERT: z.string().optional(),
  PULSEHUB_TLS_KEY: z.string().optional(),
  PULSEHUB_TLS_CA: z.string().optional(),
  /** redis://… : several broker nodes share sessions, messages and revocations. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, { error: 'must be a redis:// URL' }).optional(),
  /** Several ingest workers share the stream: `$share/<group>/users/+/events/+`. */
  PULSEHUB_INGEST_SHARE_GROUP: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'letters, digits, _ and - (no / + #)' }).optional(),
  /** The ingest worker's MQTT client id; stable per worker so its persistent session survives restarts. */
  PULSEHUB_INGEST_ID: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default('pulsehub-ingest'),
  /**
   * The broker role runs the ingest pipeline itself, so a device's QoS 1 PUBACK is written only
   * after its reading is committed (the guarantee of \`pulsehub start\`). \`false\`: the broker only
   * routes, and \`pulsehub ingest\` workers consume \`users/+/events/+\` (README: Data flow).
   */
  PULSEHUB_BROKER_INTAKE: z.enum(['true', 'false']).default('true'),
  /** Broker nodes' heartbeat (ms): the wills of a node silent for 3 of them are published by another node. */
  PULSEHUB_BROKER_HEARTBEAT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  /** Raw high-rate readings (heart rate, cycling, running samples) older than this many days are deleted; daily rollups stay. */
  PULSEHUB_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).optional(),
  /** 0 (the default): group commit, a batch of readings is committed as soon as the previous commit is done; > 0: a fixed batch window in ms. */
  PULSEHUB_INGEST_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(0),
  /** Worker threads for ingest's validation and adapters (issue 17 §4); 0 (the default): on the broker's loop. */
  PULSEHUB_INGEST_WORKERS: z.coerce.number().int().min(0).max(16).default(0),
  /** Subscription limits (issue 11): filters per SUBSCRIBE, filters per MQTT session, topic length in bytes, athletes per /live connection. */
  PULSEHUB_MQTT_MAX_FILTERS_PER_SUBSCRIBE: z.coerce.number().int().min(1).max(10_000).default(64),
  PULSEHUB_MQTT_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(1_000_000).default(256),
  PULSEHUB_MQTT_MAX_TOPIC_LENGTH: z.coerce.number().int().min(16).max(65_535).default(512),
  PULSEHUB_LIVE_MAX_ATHLETES: z.coerce.number().int().min(1).max(100_000).default(200),
  /** Webhooks (issue 14): hosts (exact names or addresses, comma-separated) an admin allows past the SSRF guard. */
  PULSEHUB_WEBHOOK_ALLOW_HOSTS: z.string().default(''),
  PULSEHUB_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  PULSEHUB_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  /** The analyzer sync (issue 14): where readings of consenting users go, its bearer token, how often (0: on demand only). */
  PULSEHUB_ANALYZER_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  PULSEHUB_ANALYZER_TOKEN: z.string().min(1).optional(),
  PULSEHUB_ANALYZER_INTERVAL_S: z.coerce.number().int().min(0).max(7 * 86_400).default(3600),
  /**
   * The Home Assistant bridge (issue 14 §3): the external broker, its credentials and TLS, the
   * state topic prefix, HA's discovery prefix, the disk queue's bound and directory. Off without a URL.
   */
  PULSEHUB_BRIDGE_URL: z.url({ protocol: /^mqtts?$/, error: 'must be an mqtt:// or mqtts:// URL' }).optional(),
  PULSEHUB_BRIDGE_USERNAME: z.string().min(1).optional(),
  PULSEHUB_BRIDGE_PASSWORD: z.string().min(1).optional(),
  PULSEHUB_BRIDGE_PREFIX: z.string().regex(TOPIC_PREFIX, { error: TOPIC_PREFIX_HELP }).default('pulsehub'),
  PULSEHUB_BRIDGE_DISCOVERY_PREFIX: z.string().regex(TOPIC_PREFIX, { error: TOPIC_PREFIX_HELP }).default('homeassistant'),
  PULSEHUB_BRIDGE_CA: z.string().optional(),
  PULSEHUB_BRIDGE_INSECURE: z.enum(['true', 'false']).default('false'),
  PULSEHUB_BRIDGE_QUEUE_MAX: z.coerce.number().int().min(10).max(10_000_000).default(100_000),
  PULSEHUB_BRIDGE_QUEUE_DIR: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every environment variable the configuration reads (README: Configuration). */
export const CONFIG_ENV_NAMES: readonly string[] = Object.keys(EnvSchema.shape);

export interface HubConfig {
  readonly mode: 'development' | 'production';
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly mqtt: { readonly host: string; readonly port: number; readonly portExplicit: boolean };
  readonly http: { readonly host: string; readonly port: number; readonly portExplicit: boolean };
  /** From the environment; undefined means "generate on first run and keep in dataDir". */
  readonly jwt: { readonly kid: string; readonly secret: string; readonly previous: readonly { kid: string; secret: string }[] } | undefined;
  readonly silenceMs: number;
  readonly allowAnonymous: boolean;
  readonly logLevel: string;
  readonly redisUrl: string | undefined;
  /** The mqtts listener, when configured. */
  readonly mqtts: { readonly port: number; readonly certFile: string; readonly keyFile: string; readonly caFile?: string } | undefined;
  /** For the single `ingest` and `web` roles. */
  readonly brokerAddress: { readonly host: string; readonly port: number };
  readonly ingest: { readonly clientId: string; readonly shareGroup: string | undefined; readonly retentionDays: number | undefined; readonly batchWindowMs: number; readonly workers: number };
  /** The `broker` role stores readings before their PUBACK (PULSEHUB_BROKER_INTAKE). */
  readonly brokerIntake: boolean;
  /** aedes heartbeat interval of broker nodes (wills of a dead node). */
  readonly brokerHeartbeatMs: number;
  /** Outbound (issue 14): webhook sender and analyzer sync. */
  readonly outbound: {
    readonly webhookAllowHosts: readonly string[];
    readonly webhookTimeoutMs: number;
    readonly webhookMaxAttempts: number;
    readonly analyzer: { readonly url: string; readonly token: string | undefined; readonly intervalMs: number } | undefined;
    readonly bridge: BridgeConfig | undefined;
  };
  /** Broker subscription limits (broker options of the same names) and athletes per /live connection. */
  readonly limits: { readonly maxFiltersPerSubscribe: number; readonly maxSubscriptionsPerSession: number; readonly maxTopicLength: number; readonly liveMaxAthletes: number };
}

/** The Home Assistant bridge (PULSEHUB_BRIDGE_*). */
export interface BridgeConfig {
  readonly url: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** PEM file of the CA that signed the external broker's certificate. */
  readonly caFile: string | undefined;
  readonly insecure: boolean;
  readonly prefix: string;
  readonly discoveryPrefix: string;
  readonly queueMax: number;
  readonly queueDir: string;
}

export const DEFAULT_MQTT_PORT = 1883;
export const DEFAULT_HTTP_PORT = 8080;

function brokerAddress(url: string | undefined, port: number): { host: string; port: number } {
  if (!url) return { host: '127.0.0.1', port };
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** Reads and validates the environment once; reports every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): HubConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new PulseHubError('PH_CONFIG_INVALID', `invalid configuration:\n${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  const problems: string[] = [];
  let previous: { kid: string; secret: string }[] = [];
  if (e.PULSEHUB_JWT_PREVIOUS) {
    previous = e.PULSEHUB_JWT_PREVIOUS.split(',').map((pair) => {
      const [kid = '', s = ''] = pair.split(':');
      if (!kid || !secret.safeParse(s).success) problems.push(`PULSEHUB_JWT_PREVIOUS: "${kid}" must be kid:secret with a 32-byte base64url secret`);
      return { kid, secret: s };
    });
  }
  const tlsSet = [e.PULSEHUB_MQTTS_PORT, e.PULSEHUB_TLS_CERT, e.PULSEHUB_TLS_KEY].filter((v) => v !== undefined).length;
  if (tlsSet > 0 && tlsSet < 3) problems.push('MQTT over TLS needs all of PULSEHUB_MQTTS_PORT, PULSEHUB_TLS_CERT and PULSEHUB_TLS_KEY');
  for (const [name, file] of [['PULSEHUB_TLS_CERT', e.PULSEHUB_TLS_CERT], ['PULSEHUB_TLS_KEY', e.PULSEHUB_TLS_KEY], ['PULSEHUB_TLS_CA', e.PULSEHUB_TLS_CA]] as const) {
    if (file !== undefined && !existsSync(file)) problems.push(`${name}: no file at ${file}`);
  }
  if (e.PULSEHUB_ANALYZER_TOKEN && !e.PULSEHUB_ANALYZER_URL) problems.push('PULSEHUB_ANALYZER_TOKEN is set but PULSEHUB_ANALYZER_URL is not');
  if (!e.PULSEHUB_BRIDGE_URL) {
    for (const name of ['PULSEHUB_BRIDGE_USERNAME', 'PULSEHUB_BRIDGE_PASSWORD', 'PULSEHUB_BRIDGE_CA'] as const) if (e[name] !== undefined) problems.push(`${name} is set but PULSEHUB_BRIDGE_URL is not`);
  } else if (!e.PULSEHUB_BRIDGE_URL.startsWith('mqtts:') && (e.PULSEHUB_BRIDGE_CA !== undefined || e.PULSEHUB_BRIDGE_INSECURE === 'true')) {
    problems.push('PULSEHUB_BRIDGE_CA and PULSEHUB_BRIDGE_INSECURE are for TLS: use an mqtts:// PULSEHUB_BRIDGE_URL');
  }
  if (e.PULSEHUB_BRIDGE_CA !== undefined && !existsSync(e.PULSEHUB_BRIDGE_CA)) problems.push(`PULSEHUB_BRIDGE_CA: no file at ${e.PULSEHUB_BRIDGE_CA}`);
  if (e.PULSEHUB_MODE === 'production') {
    if (!e.PULSEHUB_JWT_SECRET) problems.push('PULSEHUB_JWT_SECRET is required in production (generated secrets are for development only)');
    if (!e.DATABASE_URL) problems.push('DATABASE_URL is required in production (PGlite is the embedded development default)');
    const weak = e.PULSEHUB_JWT_SECRET === undefined ? undefined : weakSecretReason(e.PULSEHUB_JWT_SECRET);
    if (weak) problems.push(`PULSEHUB_JWT_SECRET ${weak} ${HOW_TO}`);
    for (const p of previous) {
      const w = weakSecretReason(p.secret);
      if (w) problems.push(`PULSEHUB_JWT_PREVIOUS: "${p.kid}" ${w} ${HOW_TO}`);
    }
  }
  if (problems.length) {
    const code = problems.some((p) => p.includes('required')) ? 'PH_CONFIG_SECRET_MISSING' : 'PH_CONFIG_INVALID';
    throw new PulseHubError(code, `invalid configuration:\n✖ ${problems.join('\n✖ ')}`);
  }
  return Object.freeze({
    mode: e.PULSEHUB_MODE,
    dataDir: resolve(e.PULSEHUB_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    mqtt: { host: e.PULSEHUB_MQTT_HOST, port: e.PULSEHUB_MQTT_PORT ?? DEFAULT_MQTT_PORT, portExplicit: e.PULSEHUB_MQTT_PORT !== undefined },
    http: { host: e.PULSEHUB_HTTP_HOST, port: e.PULSEHUB_HTTP_PORT ?? DEFAULT_HTTP_PORT, portExplicit: e.PULSEHUB_HTTP_PORT !== undefined },
    jwt: e.PULSEHUB_JWT_SECRET ? { kid: e.PULSEHUB_JWT_KID, secret: e.PULSEHUB_JWT_SECRET, previous } : undefined,
    silenceMs: e.PULSEHUB_SILENCE_MS,
    allowAnonymous: e.PULSEHUB_ALLOW_ANONYMOUS === 'true',
    logLevel: e.LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    mqtts: e.PULSEHUB_MQTTS_PORT !== undefined && e.PULSEHUB_TLS_CERT && e.PULSEHUB_TLS_KEY
      ? { port: e.PULSEHUB_MQTTS_PORT, certFile: e.PULSEHUB_TLS_CERT, keyFile: e.PULSEHUB_TLS_KEY, ...(e.PULSEHUB_TLS_CA ? { caFile: e.PULSEHUB_TLS_CA } : {}) }
      : undefined,
    brokerAddress: brokerAddress(e.PULSEHUB_BROKER_URL, e.PULSEHUB_MQTT_PORT ?? DEFAULT_MQTT_PORT),
    ingest: Object.freeze({ clientId: e.PULSEHUB_INGEST_ID, shareGroup: e.PULSEHUB_INGEST_SHARE_GROUP, retentionDays: e.PULSEHUB_RETENTION_DAYS, batchWindowMs: e.PULSEHUB_INGEST_BATCH_WINDOW_MS, workers: e.PULSEHUB_INGEST_WORKERS }),
    brokerIntake: e.PULSEHUB_BROKER_INTAKE === 'true',
    brokerHeartbeatMs: e.PULSEHUB_BROKER_HEARTBEAT_MS,
    outbound: Object.freeze({
      webhookAllowHosts: Object.freeze(e.PULSEHUB_WEBHOOK_ALLOW_HOSTS.split(',').map((h) => h.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1')).filter(Boolean)),
      webhookTimeoutMs: e.PULSEHUB_WEBHOOK_TIMEOUT_MS,
      webhookMaxAttempts: e.PULSEHUB_WEBHOOK_MAX_ATTEMPTS,
      analyzer: e.PULSEHUB_ANALYZER_URL ? Object.freeze({ url: e.PULSEHUB_ANALYZER_URL, token: e.PULSEHUB_ANALYZER_TOKEN, intervalMs: e.PULSEHUB_ANALYZER_INTERVAL_S * 1000 }) : undefined,
      bridge: e.PULSEHUB_BRIDGE_URL ? Object.freeze({
        url: e.PULSEHUB_BRIDGE_URL, username: e.PULSEHUB_BRIDGE_USERNAME, password: e.PULSEHUB_BRIDGE_PASSWORD,
        caFile: e.PULSEHUB_BRIDGE_CA, insecure: e.PULSEHUB_BRIDGE_INSECURE === 'true',
        prefix: e.PULSEHUB_BRIDGE_PREFIX, discoveryPrefix: e.PULSEHUB_BRIDGE_DISCOVERY_PREFIX, queueMax: e.PULSEHUB_BRIDGE_QUEUE_MAX,
        queueDir: resolve(e.PULSEHUB_BRIDGE_QUEUE_DIR ?? join(e.PULSEHUB_DATA_DIR, 'bridge-queue')),
      }) : undefined,
    }),
    limits: Object.freeze({
      maxFiltersPerSubscribe: e.PULSEHUB_MQTT_MAX_FILTERS_PER_SUBSCRIBE,
      maxSubscriptionsPerSession: e.PULSEHUB_MQTT_MAX_SUBSCRIPTIONS,
      maxTopicLength: e.PULSEHUB_MQTT_MAX_TOPIC_LENGTH,
      liveMaxAthletes: e.PULSEHUB_LIVE_MAX_ATHLETES,
    }),
  });
}
