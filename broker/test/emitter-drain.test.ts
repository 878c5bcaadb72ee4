import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type PulseHubBroker } from '@pulsehub/broker';
import { as, tokens } from './helpers.js';
import { aedesOf } from '../src/broker.js';
import { emitterOf } from '../src/aedes-internals.js';

/**
 * Found by the soak (issue 11): with the event loop stalled, messages queue behind the
 * message bus's concurrency limit (100 in flight); when the blocked ones finish, each queued
 * message whose delivery completes at once released the next from inside its own callback,
 * one stack frame chain per message, until `RangeError: Maximum call stack size exceeded`
 * killed the hub. The queue must drain iteratively.
 */
let broker: PulseHubBroker;
let port: number;
beforeAll(async () => {
  broker = await createBroker({ tokens });
  ({ port } = await broker.listen({ port: 0 }));
});
afterAll(async () => broker?.close());

interface Bus {
  on(topic: string, fn: (m: unknown, done: () => void) => void, cb?: () => void): void;
  emit(m: { topic: string }, cb?: (err?: Error) => void): void;
  concurrency: number;
  current: number;
  length: number;
}

describe('the message bus drains a long backlog without recursion', () => {
  it('20,000 queued messages whose delivery completes at once drain, in order, without a stack overflow; the broker still works', async () => {
    const mq = emitterOf(aedesOf(broker)) as Bus;
    const held: (() => void)[] = [];
    await new Promise<void>((r) => mq.on('stall/held', (_m, done) => void held.push(done), r));
    const seen: number[] = [];
    await new Promise<void>((r) => mq.on('stall/fast', (m, done) => (seen.push((m as { n: number }).n), done()), r));
    // Fill every slot with a delivery that waits (a stalled subscriber, a stalled loop)…
    for (let i = 0; i < mq.concurrency; i++) mq.emit({ topic: 'stall/held' });
    expect(held).toHaveLength(mq.concurrency);
    // …so these queue behind them; each completes synchronously once it runs.
    const n = 20_000;
    let finished = 0;
    let failed: unknown;
    for (let i = 0; i < n; i++) mq.emit({ topic: 'stall/fast', n: i } as { topic: string }, (err) => (err ? (failed = err) : finished++));
    expect(mq.length).toBe(n);
    let thrown: unknown;
    try {
      for (const done of held) done();
    } catch (err) {
      thrown = err;
    }
    while (finished < n && thrown === undefined && failed === undefined) await new Promise((r) => setImmediate(r));
    expect(thrown).toBeUndefined();
    expect(failed).toBeUndefined();
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(mq.length).toBe(0);
    const c = await as(port, 'admin', 'after-drain');
    await c.subscribeAsync('after/x', { qos: 1 });
    const got = new Promise<string>((r) => c.once('message', (_t, p) => r(p.toString())));
    await c.publishAsync('after/x', 'ok', { qos: 1 });
    expect(await got).toBe('ok');
    await c.endAsync();
  });
});
