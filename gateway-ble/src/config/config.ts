import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { DeviceId, UserId } from '@pulsehub/contracts';
import { BleGatewayError } from '../errors.js';
import { PROFILE_NAMES } from '../runtime/profiles.js';

/**
 * The gateway's configuration file (JSON), validated once at start. Every problem is
 * reported at once, each naming its field (`devices[2].userId: …`).
 */
const Address = z
  .string()
  .regex(/^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/, { error: 'a Bluetooth address like "c0:ff:ee:00:00:01"' })
  .transform((a) => a.toLowerCase().replace(/-/g, ':'));

const NamePattern = z.string().min(1).max(200).refine(
  (p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      return false;
    }
  },
  { error: 'not a valid regular expression' },
);

export const DeviceBinding = z
  .object({
    /** Match by address (preferred: names are not unique), or by advertised local name (a regular expression). */
    address: Address.optional(),
    name: NamePattern.optional(),
    profile: z.enum(PROFILE_NAMES),
    userId: UserId,
    /** The hub's device id for this sensor; default `ble-<address without colons>`. */
    deviceId: DeviceId.optional(),
    /** For cycling speed: the wheel's rolling circumference in metres. */
    wheelCircumferenceM: z.number().min(0.5).max(4).optional(),
  })
  .strict()
  .refine((d) => d.address !== undefined || d.name !== undefined, { error: 'give an address or a name pattern', path: ['address'] })
  .refine((d) => d.address !== undefined || d.deviceId !== undefined, {
    error: 'a device matched by name needs a deviceId (its address is not known in advance)',
    path: ['deviceId'],
  });
export type DeviceBinding = z.infer<typeof DeviceBinding>;

export const GatewayConfig = z
  .object({
    gateway: z
      .object({
        id: DeviceId,
        /** The gateway token, inline; prefer tokenFile or the PULSEHUB_GATEWAY_TOKEN environment variable. */
        token: z.string().min(1).optional(),
        tokenFile: z.string().min(1).optional(),
      })
      .strict(),
    hub: z
      .object({
        mqttUrl: z.url({ protocol: /^(mqtt|mqtts|ws|wss)$/, error: 'an mqtt://, mqtts://, ws:// or wss:// URL' }),
        /** Base URL of the hub's HTTP API, for `pulsehub-gateway pair`. */
        apiUrl: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
        caFile: z.string().min(1).optional(),
      })
      .strict(),
    queue: z
      .object({
        dir: z.string().min(1).default('/var/lib/pulsehub-gateway/queue'),
        maxRecords: z.number().int().min(10).max(10_000_000).default(100_000),
        maxBytes: z.number().int().min(1024).default(64 * 1024 * 1024),
        fsync: z.enum(['always', 'never']).default('always'),
      })
      .strict()
      .prefault({}),
    /** Scales and cuffs keep wall-clock time without a zone: read it as the gateway's local time (default) or as UTC. */
    scaleClock: z.enum(['local', 'utc']).default('local'),
    reconnect: z
      .object({ initialMs: z.number().int().min(100).default(1000), maxMs: z.number().int().min(1000).default(60_000) })
      .strict()
      .prefault({}),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    devices: z.array(DeviceBinding).max(256).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.devices.forEach((d, i) => {
      if (d.address === undefined) return;
      const prev = seen.get(`${d.address}/${d.profile}`);
      if (prev !== undefined) ctx.addIssue({ code: 'custom', message: `same address and profile as devices[${prev}]`, path: ['devices', i, 'address'] });
      seen.set(`${d.address}/${d.profile}`, i);
    });
  });
export type GatewayConfig = z.infer<typeof GatewayConfig>;

/** `devices[2].userId: expected …` for each issue, one per line. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.map((p, n) => (typeof p === 'number' ? `[${p}]` : n === 0 ? String(p) : `.${String(p)}`)).join('');
      return `${path || '(top level)'}: ${i.message}`;
    })
    .join('\n');
}

export function parseConfig(raw: unknown, source = 'config'): Readonly<GatewayConfig> {
  const r = GatewayConfig.safeParse(raw);
  if (!r.success) {
    throw new BleGatewayError('PH_GW_CONFIG_INVALID', `${source} is invalid:\n${formatIssues(r.error)}`, { details: r.error.issues });
  }
  return Object.freeze(r.data);
}

export async function loadConfig(path: string): Promise<Readonly<GatewayConfig>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new BleGatewayError('PH_GW_CONFIG_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BleGatewayError('PH_GW_CONFIG_UNREADABLE', `${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return parseConfig(raw, path);
}

/** The token: inline, from tokenFile, or from PULSEHUB_GATEWAY_TOKEN (read once, here). */
export async function resolveToken(config: GatewayConfig, env: NodeJS.ProcessEnv): Promise<string> {
  if (config.gateway.token !== undefined) return config.gateway.token;
  if (config.gateway.tokenFile !== undefined) {
    try {
      return (await readFile(config.gateway.tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new BleGatewayError('PH_GW_CONFIG_INVALID', `gateway.tokenFile: cannot read ${config.gateway.tokenFile}: ${(err as Error).message}`, { cause: err });
    }
  }
  const fromEnv = env.PULSEHUB_GATEWAY_TOKEN;
  if (fromEnv) return fromEnv;
  throw new BleGatewayError('PH_GW_CONFIG_INVALID', 'gateway.token: no token: set gateway.tokenFile, gateway.token or PULSEHUB_GATEWAY_TOKEN');
}
