/**
 * Throughput of the Home Assistant bridge (issue 14 §3): stored readings → disk queue → an
 * external Mosquitto at QoS 1, until every PUBACK is in.
 *
 *   npx tsx --conditions=source bench/bridge-throughput.ts [--events 20000] [--users 20] [--rounds 2]
 *
 * Per round and mode, fresh people consent, the bridge takes them on and stops; the readings are
 * committed while it is stopped; then a bridge starts on the same queue and the clock runs from
 * its start until the external broker acknowledged every message (readings + one discovery
 * config per person). Modes alternate in the same run: `step` (one write and fsync per step,
 * `appendMany`) and `one` (one append and fsync per message, as before). The figure is the
 * ratio of the medians.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import pino from 'pino';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase } from '@pulsehub/store/testing';
import { createBridge } from '@pulsehub/outbound';
import { PrivateMosquitto, waitFor } from '@pulsehub/testkit';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const EVENTS = arg('events', 20_000);
const USERS = arg('users', 20);
const ROUNDS = arg('rounds', 2);
const log = pino({ level: 'warn' });

async function round(store: Store, broker: PrivateMosquitto, tag: string, mode: 'step' | 'one'): Promise<number> {
  const users = Array.from({ length: USERS }, (_, i) => `${tag}-u${i}`);
  await store.users.ensure(users);
  for (const u of users) await store.syncLog.grant(u, 'bridge', u);
  const queueDir = mkdtempSync(join(tmpdir(), 'ph-bridge-bench-'));
  const opts = { store, log, url: broker.url, prefix: `bench-${tag}`, discoveryPrefix: `ha-bench-${tag}`, queueDir, queueMax: 1_000_000, intervalMs: 20, appendMode: mode } as const;
  const first = createBridge(opts);
  await first.start();
  await waitFor(async () => (await store.bridge.list()).filter((r) => r.userId.startsWith(`${tag}-`)).length === USERS, { timeout: 60_000, what: 'people taken on' });
  await first.stop();
  const t0 = Date.parse('2026-11-04T00:00:00Z');
  for (let off = 0; off < EVENTS; off += 2000) {
    const events: CanonicalEvent[] = Array.from({ length: Math.min(2000, EVENTS - off) }, (_, i) => {
      const n = off + i;
      const at = new Date(t0 + n * 1000).toISOString();
      return { id: `${tag}-${n}`, userId: users[n % USERS]!, deviceId: 'bench', metric: 'heart_rate', time: { at }, values: { bpm: { value: 60 + (n % 100), unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: at } };
    });
    await store.observations.commitBatch({ events });
  }
  const bridge = createBridge(opts);
  const start = performance.now();
  await bridge.start();
  await waitFor(() => bridge.stats().published >= EVENTS + USERS, { timeout: 600_000, interval: 10, what: 'every PUBACK' });
  const seconds = (performance.now() - start) / 1000;
  await bridge.stop();
  rmSync(queueDir, { recursive: true, force: true });
  return (EVENTS + USERS) / seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const tdb = await createTestDatabase('postgres');
const store = await openStore(tdb.target);
const broker = new PrivateMosquitto();
await broker.start();
try {
  const rates: Record<'step' | 'one', number[]> = { step: [], one: [] };
  console.log(`events ${EVENTS}, people ${USERS}, rounds ${ROUNDS}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of r % 2 === 0 ? (['step', 'one'] as const) : (['one', 'step'] as const)) {
      const rate = await round(store, broker, `r${r}${mode}`, mode);
      rates[mode].push(rate);
      console.log(`round ${r + 1} ${mode.padEnd(4)} ${rate.toFixed(0)} msg/s (load ${loadavg()[0]!.toFixed(2)})`);
    }
  }
  const step = median(rates.step);
  const one = median(rates.one);
  console.log(`median: step ${step.toFixed(0)} msg/s, one ${one.toFixed(0)} msg/s, step / one ${(step / one).toFixed(2)}×`);
} finally {
  await broker.destroy();
  await store.close();
  await tdb.drop();
}
