import type { Client } from 'aedes';
import { z } from 'zod';

/**
 * Per-client publish rate limit: a token bucket. `rate` messages per second on average,
 * `burst` at once. Keys are device kinds from the registry (watch, scale, cuff, phone,
 * gateway) or, for clients without a registered device, the token's subject kind.
 */
export const RateLimit = z.object({ rate: z.number().positive(), burst: z.number().int().positive() }).strict();
export type RateLimit = z.infer<typeof RateLimit>;

export const DEFAULT_RATE_LIMITS: Readonly<Record<string, RateLimit>> = Object.freeze({
  watch: { rate: 20, burst: 100 },
  scale: { rate: 5, burst: 20 },
  cuff: { rate: 5, burst: 20 },
  phone: { rate: 50, burst: 500 },
  gateway: { rate: 500, burst: 2000 },
  device: { rate: 50, burst: 200 },
  anonymous: { rate: 50, burst: 200 },
});

export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(private readonly limit: RateLimit) {
    this.tokens = limit.burst;
    this.last = performance.now();
  }

  /** Takes one token; returns 0 when allowed now, else the milliseconds until one is available. */
  take(): number {
    const now = performance.now();
    this.tokens = Math.min(this.limit.burst, this.tokens + ((now - this.last) * this.limit.rate) / 1000);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    const wait = ((1 - this.tokens) * 1000) / this.limit.rate;
    // The caller delays this message by `wait`; count the token as spent for it.
    this.tokens -= 1;
    return Math.ceil(wait);
  }
}

interface ParserInternals {
  packet: { length: number };
  client?: { broker?: object };
  _parseLength(): boolean;
  _emitError(err: Error): boolean;
}

/** Max packet size per aedes instance; parsers find theirs through `parser.client.broker`. */
const maxSizes = new WeakMap<object, number>();
const guardedPrototypes = new WeakSet<object>();

/**
 * Enforces the maximum packet size inside the MQTT parser, right after the fixed header's
 * Remaining Length is decoded, so an oversized packet is refused before its body is buffered
 * (like Mosquitto's `max_packet_size`). The connection gets a parser error and closes; nothing
 * else is disturbed. aedes has no option for this; it reaches the client's mqtt-packet parser,
 * and fails loudly at the first connection if either library changes shape.
 *
 * The guard is installed once on the parser prototype, not per connection: a per-instance
 * closure cost every idle connection a closure, a context and a property backing store
 * (~0.4 KB). Parsers that do not belong to a guarded broker (mqtt.js clients in the same
 * process) find no limit and behave as before.
 */
export function enforceMaxPacketSize(client: Client, maxBytes: number): void {
  const parser = (client as unknown as { _parser?: ParserInternals })._parser;
  if (!parser || typeof parser._parseLength !== 'function' || typeof parser._emitError !== 'function' || parser.client !== (client as unknown)) {
    throw new Error('aedes client has no mqtt-packet parser to guard: check the aedes/mqtt-packet versions');
  }
  const broker = (client as unknown as { broker: object }).broker;
  maxSizes.set(broker, maxBytes);
  const proto = Object.getPrototypeOf(parser) as ParserInternals;
  if (guardedPrototypes.has(proto)) return;
  guardedPrototypes.add(proto);
  const parseLength = proto._parseLength;
  proto._parseLength = function guarded(this: ParserInternals): boolean {
    if (!parseLength.call(this)) return false;
    const broker = this.client?.broker;
    const max = broker === undefined ? undefined : maxSizes.get(broker);
    if (max !== undefined && this.packet.length > max) {
      this._emitError(Object.assign(new Error(`packet of ${this.packet.length} bytes exceeds max packet size ${max}`), { code: 'PH_BROKER_PACKET_TOO_LARGE' }));
      return false;
    }
    return true;
  };
}

/** True when a string decoded from the wire contained malformed UTF-8 [MQTT-1.5.3-1]. */
export const hasReplacementChar = (s: string): boolean => s.includes('\uFFFD');
