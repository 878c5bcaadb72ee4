import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { IConnectPacket } from 'mqtt-packet';
import { RawClient } from './raw-client.js';
import type { Target } from './target.js';

/** One behaviour, run unchanged against every target. The title cites its normative statement. */
export interface Case {
  readonly id: string;
  readonly title: string;
  run(t: CaseContext): Promise<void>;
}

export interface CaseContext {
  readonly target: Target;
  /** A topic unique to this run of this case: `<root>/<suffix>`. */
  topic(suffix?: string): string;
  /** A client identifier unique to this run of this case (≤ 23 characters [MQTT-3.1.3-5]). */
  clientId(tag?: string): string;
  /** An open raw socket (no CONNECT sent yet); closed after the case. */
  raw(): Promise<RawClient>;
  /** A raw socket that has sent CONNECT and got CONNACK 0. */
  connected(options?: Partial<IConnectPacket>): Promise<RawClient>;
  /** An mqtt.js client, connected; ended after the case. */
  client(options?: IClientOptions): Promise<MqttClient>;
}

export function defineCases(cases: Case[]): Case[] {
  return cases;
}

let seq = 0;

/** Runs `fn` with a context whose sockets and clients are all closed afterwards. */
export async function withContext(target: Target, caseId: string, fn: (t: CaseContext) => Promise<void>): Promise<void> {
  const tag = `${(seq++).toString(36)}${randomBytes(3).toString('hex')}`;
  const root = `ct/${caseId}/${tag}`;
  const raws: RawClient[] = [];
  const clients: MqttClient[] = [];
  let n = 0;
  const ctx: CaseContext = {
    target,
    topic: (suffix = 't') => `${root}/${suffix}`,
    clientId: (name = 'c') => `${name.slice(0, 8)}${tag}${(n++).toString(36)}`.slice(0, 23),
    async raw() {
      const r = await RawClient.open(target);
      raws.push(r);
      return r;
    },
    async connected(options = {}) {
      const r = await ctx.raw();
      const ack = await r.connect({ clientId: ctx.clientId(), ...options }, target);
      if (ack.returnCode !== 0) throw new Error(`CONNACK ${ack.returnCode}`);
      return r;
    },
    client(options = {}) {
      return new Promise((resolve, reject) => {
        const opts: IClientOptions = {
          host: target.host,
          port: target.port,
          protocolVersion: 4,
          reconnectPeriod: 0,
          connectTimeout: 3000,
          clientId: ctx.clientId('m'),
          ...options,
        };
        if (target.username !== undefined) opts.username ??= target.username;
        if (target.password !== undefined) opts.password ??= target.password;
        const c = mqtt.connect(opts);
        clients.push(c);
        c.once('connect', () => resolve(c));
        c.once('error', reject);
      });
    },
  };
  try {
    await fn(ctx);
  } finally {
    for (const r of raws) r.drop();
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }
}

/** What expectations.json says about one case on one target. */
export type Expectation = 'pass' | { differs: string };

export interface ExpectationFile {
  [target: string]: Record<string, Expectation>;
}

/**
 * Runs a case and holds its outcome to the expectation: a case expected to pass must pass;
 * a case expected to differ must still fail (when it starts passing, the file is out of date).
 */
export async function runExpected(target: Target, c: Case, expected: Expectation | undefined): Promise<{ outcome: 'pass' | 'differs'; error?: Error }> {
  if (expected === undefined) throw new Error(`expectations.json has no entry for "${c.id}" on target "${target.name}"`);
  let error: Error | undefined;
  try {
    await withContext(target, c.id, (t) => c.run(t));
  } catch (err) {
    error = err as Error;
  }
  if (expected === 'pass') {
    if (error) throw error;
    return { outcome: 'pass' };
  }
  if (!error) {
    throw new Error(`"${c.id}" now passes on ${target.name} but expectations.json says it differs (${expected.differs}); update the file`);
  }
  return { outcome: 'differs', error };
}
