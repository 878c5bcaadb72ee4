/**
 * The ingest cost of N active webhook subscriptions against none, in the same run (issue 14).
 *
 *   pnpm bench:ingest --webhooks 10 [--events 200000] [--batch 2000] [--users 20] [--db postgres|pglite]
 *
 * What webhooks add to ingest is in the batch commit (the outbox rows written in its
 * transaction) and in the sender running beside it (grouping, reading the readings back,
 * signing, POSTing to a local receiver). So the same stream of heart-rate batches is committed
 * through the store's batch committer (COPY path on Postgres) in alternating rounds: webhooks
 * off (subscriptions inactive, sender stopped) and on (N subscriptions active over the users,
 * 1 s window, the sender running). The figure is the ratio of the medians of the rounds.
 * `--no-webhook-sender` leaves the sender stopped during the rounds: the outbox write alone.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore } from '@pulsehub/store';
import { createTestDatabase } from '@pulsehub/store/testing';
import { createWebhookWorker } from '@pulsehub/outbound';
import { postgresCpuMs } from './pg-cpu.js';

const DEVICE_KEY = Buffer.from('"deviceId"');

export async function webhookCost(o: { webhooks: number; events: number; batch: number; users: number; db: 'postgres' | 'pglite'; rounds?: number; sender?: boolean }): Promise<void> {
  const withSender = o.sender ?? true;
  const log = pino({ level: 'warn' });
  const tdb = await createTestDatabase(o.db);
  const store = await openStore(tdb.target);
  const users = Array.from({ length: o.users }, (_, i) => `u${i}`);
  await store.users.ensure(users);
  let received = 0;
  let readings = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received++;
      // Counts readings without parsing the body: the receiver stands for another service, and
      // parsing tens of MB of JSON here was charged to the hub (it shares this process).
      const body = Buffer.concat(chunks);
      for (let i = body.indexOf(DEVICE_KEY); i !== -1; i = body.indexOf(DEVICE_KEY, i + DEVICE_KEY.length)) readings++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const subs: { id: string }[] = [];
  for (let i = 0; i < o.webhooks; i++) {
    subs.push(await store.webhooks.create({ userId: users[i % users.length]!, url, events: ['reading.stored'], secret: 'bench-secret-0123456789', windowMs: 1000, maxBatch: 100, active: false, createdBy: 'bench' }));
  }
  const worker = createWebhookWorker({ store, log, allowHosts: ['127.0.0.1'], pollMs: 200 });

  const rounds = o.rounds ?? 6;
  const perRound = Math.max(o.batch, Math.floor(o.events / (rounds + 1) / o.batch) * o.batch);
  let seq = 0;
  const t0 = Date.parse('2026-11-20T00:00:00Z');
  const batchOf = (): CanonicalEvent[] => Array.from({ length: o.batch }, () => {
    const i = seq++;
    const at = new Date(t0 + i * 50).toISOString();
    const userId = users[i % users.length]!;
    return { id: `b-${i}`, userId, deviceId: `${userId}-strap`, metric: 'heart_rate', time: { at }, values: { bpm: { value: 60 + (i % 100), unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: at } };
  });
  const setActive = async (active: boolean) => {
    for (const s of subs) await store.webhooks.update(s.id, { active });
  };
  /** CPU µs per event of each round: this process (ingest and sender) and Postgres. */
  const cpu: { off: { node: number; pg: number }[]; on: { node: number; pg: number }[] } = { off: [], on: [] };
  async function round(on: boolean): Promise<number> {
    await setActive(on);
    const batches = Array.from({ length: perRound / o.batch }, batchOf);
    const pg0 = await postgresCpuMs(store);
    const c0 = process.cpuUsage();
    if (on && withSender) worker.start();
    const r0 = performance.now();
    for (const b of batches) await store.observations.commitBatch({ events: b });
    const ms = performance.now() - r0;
    if (on && withSender) await worker.stop();
    const c = process.cpuUsage(c0);
    const pg = (await postgresCpuMs(store)) - pg0;
    cpu[on ? 'on' : 'off'].push({ node: (c.user + c.system) / perRound, pg: (pg * 1000) / perRound });
    return (perRound / ms) * 1000;
  }
  await round(false); // warm-up, not counted
  cpu.off.length = 0;
  const off: number[] = [];
  const on: number[] = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which goes first, so a trend over the run (table growth) hits both alike.
    if (r % 2 === 0) { off.push(await round(false)); on.push(await round(true)); } else { on.push(await round(true)); off.push(await round(false)); }
  }
  // Drain what the on rounds owe, to show the sender keeps up and loses nothing.
  await setActive(true);
  for (const s of subs) await store.webhooks.update(s.id, { windowMs: 0 });
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    await worker.tick();
    const b = await store.webhooks.backlog();
    if (b.openEntries === 0 && b.pending === 0) break;
  }
  const backlog = await store.webhooks.backlog();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const round2 = (x: number) => Math.round(x * 100) / 100;
  const offRate = median(off);
  const onRate = median(on);
  console.log(JSON.stringify({
    webhooks: o.webhooks, senderDuringRounds: withSender, users: o.users, batch: o.batch, db: o.db, eventsPerRound: perRound, rounds,
    offEventsPerSec: Math.round(offRate), onEventsPerSec: Math.round(onRate),
    offRuns: off.map(Math.round), onRuns: on.map(Math.round),
    costPercent: Number(((offRate / onRate - 1) * 100).toFixed(1)),
    // CPU per event (µs, medians of the rounds): steadier than throughput on a loaded machine.
    offCpuUsPerEvent: { node: round2(median(cpu.off.map((x) => x.node))), pg: round2(median(cpu.off.map((x) => x.pg))) },
    onCpuUsPerEvent: { node: round2(median(cpu.on.map((x) => x.node))), pg: round2(median(cpu.on.map((x) => x.pg))) },
    cpuCostPercent: Number(((median(cpu.on.map((x) => x.node + x.pg)) / median(cpu.off.map((x) => x.node + x.pg)) - 1) * 100).toFixed(1)),
    commits: store.observations.commitStats, requests: received, readingsDelivered: readings, backlog, sender: worker.stats,
  }, null, 2));
  await new Promise<void>((r) => server.close(() => r()));
  await store.close();
  await tdb.drop();
}
