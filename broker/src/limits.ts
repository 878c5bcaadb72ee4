import type { Client } from 'aedes';
import { brokerOf, clientOfParser, parserOf } from './aedes-internals.js';
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
  packet: { length: number; cmd?: string };
  client?: { broker?: object };
  _parseLength(): boolean;
  _emitError(err: Error): boolean;
}

/** Remaining lengths MQTT 3.1.1 fixes per packet type (client to server). */
const FIXED_LENGTHS: Readonly<Record<string, number>> = { pingreq: 0, disconnect: 0, puback: 2, pubrec: 2, pubrel: 2, pubcomp: 2 };

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
  const parser = parserOf<ParserInternals>(client);
  if (!parser || typeof parser._parseLength !== 'function' || typeof parser._emitError !== 'function' || parser.client !== (client as unknown)) {
    throw new Error('aedes client has no mqtt-packet parser to guard: check the aedes/mqtt-packet versions');
  }
  const broker = brokerOf(client);
  maxSizes.set(broker, maxBytes);
  const proto = Object.getPrototypeOf(parser) as ParserInternals;
  if (guardedPrototypes.has(proto)) return;
  guardedPrototypes.add(proto);
  const parseLength = proto._parseLength;
  proto._parseLength = function guarded(this: ParserInternals): boolean {
    if (!parseLength.call(this)) return false;
    const broker = this.client?.broker;
    const max = broker === undefined ? undefined : maxSizes.get(broker);
    if (max === undefined) return true;
    if (this.packet.length > max) {
      this._emitError(Object.assign(new Error(`packet of ${this.packet.length} bytes exceeds max packet size ${max}`), { code: 'PH_BROKER_PACKET_TOO_LARGE' }));
      return false;
    }
    // [issue 11 fuzz] mqtt-packet reads and ignores the body of a packet whose length its type
    // fixes (a PINGREQ with 5 bytes was answered): such a packet is malformed [MQTT-4.8.0-1].
    const fixed = this.packet.cmd === undefined ? undefined : FIXED_LENGTHS[this.packet.cmd];
    if (fixed !== undefined && this.packet.length !== fixed) {
      this._emitError(Object.assign(new Error(`${this.packet.cmd} with a remaining length of ${this.packet.length}, not ${fixed}`), { code: 'PH_BROKER_MALFORMED_PACKET' }));
      return false;
    }
    return true;
  };
}

/** True when a string decoded from the wire contained malformed UTF-8 [MQTT-1.5.3-1]. */
export const hasReplacementChar = (s: string): boolean => s.includes('\uFFFD');

/** Not a well-formed MQTT UTF-8 string: malformed UTF-8 or U+0000 [MQTT-1.5.3-1] [MQTT-1.5.3-2]. */
export const isMalformedString = (s: string): boolean => s.includes('\uFFFD') || s.includes('\u0000');

interface SubscribeParserInternals {
  packet: { cmd?: string; subscriptions?: { topic: string }[]; unsubscriptions?: string[] };
  client?: { broker?: object };
  error?: unknown;
  _parseSubscribe(): unknown;
  _parseUnsubscribe(): unknown;
  _emitError(err: Error): unknown;
}

/** Judges a SUBSCRIBE's filters as it is parsed; the ones refused are marked with markRefused. */
export type SubscribeGuard = (client: Client, subscriptions: readonly { topic: string }[]) => void;

const subscribeGuards = new WeakMap<object, SubscribeGuard>();
const subscribeGuardedPrototypes = new WeakSet<object>();
const refusedSubscriptions = new WeakSet<object>();

/** Marks one filter of a SUBSCRIBE as refused by a limit: SUBACK 0x80, and never stored in a session. */
export const markRefused = (sub: object): void => void refusedSubscriptions.add(sub);
export const isRefused = (sub: object): boolean => refusedSubscriptions.has(sub);

/**
 * Runs the broker's subscription limits on every SUBSCRIBE as the parser completes it, in
 * arrival order, before aedes handles it. Aedes handles the packets of one read concurrently
 * and authorizes the filters of one packet in parallel, so counting in authorizeSubscribe
 * alone would let a pipelined flood through; here each packet is counted whole, in order.
 * Installed once on the parser prototype, for parsers of guarded brokers only (as above).
 */
export function guardSubscribePackets(client: Client, guard: SubscribeGuard): void {
  const parser = parserOf<SubscribeParserInternals>(client);
  if (!parser || typeof parser._parseSubscribe !== 'function' || parser.client !== (client as unknown)) {
    throw new Error('aedes client has no mqtt-packet parser to guard: check the aedes/mqtt-packet versions');
  }
  subscribeGuards.set(brokerOf(client), guard);
  const proto = Object.getPrototypeOf(parser) as SubscribeParserInternals;
  if (subscribeGuardedPrototypes.has(proto)) return;
  subscribeGuardedPrototypes.add(proto);
  const parseSubscribe = proto._parseSubscribe;
  proto._parseSubscribe = function guardedSubscribe(this: SubscribeParserInternals): unknown {
    const result = parseSubscribe.call(this);
    const c = this.client;
    const g = c?.broker === undefined ? undefined : subscribeGuards.get(c.broker);
    const subs = this.packet.subscriptions;
    if (g && subs) g(clientOfParser(this)!, subs);
    return result;
  };
  // [issue 11 fuzz] An UNSUBSCRIBE without a filter [MQTT-3.10.3-2], or with one that is not a
  // well-formed string [MQTT-1.5.3-1/2], was answered; aedes has no hook for UNSUBSCRIBE.
  const parseUnsubscribe = proto._parseUnsubscribe;
  proto._parseUnsubscribe = function checkedUnsubscribe(this: SubscribeParserInternals): unknown {
    const result = parseUnsubscribe.call(this);
    const c = this.client;
    if (this.error || c?.broker === undefined || !subscribeGuards.has(c.broker)) return result;
    const filters = this.packet.unsubscriptions ?? [];
    if (filters.length === 0) return this._emitError(new Error('UNSUBSCRIBE without a topic filter'));
    if (filters.some((f) => isMalformedString(f))) return this._emitError(new Error('UNSUBSCRIBE filter is not a well-formed UTF-8 string'));
    return result;
  };
}

/**
 * Logs at most one line per interval, with how many were held back since the last one: a
 * client hammering a limit must not fill the log.
 */
export class LogThrottle {
  private last = -Infinity;
  private held = 0;
  constructor(private readonly intervalMs: number) {}

  /** Calls `write` with the number of suppressed calls since the last write, or counts this one. */
  maybe(write: (suppressed: number) => void): void {
    const now = performance.now();
    if (now - this.last < this.intervalMs) {
      this.held++;
      return;
    }
    this.last = now;
    const suppressed = this.held;
    this.held = 0;
    write(suppressed);
  }
}
