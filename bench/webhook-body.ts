/**
 * What building webhook delivery bodies costs, per reading, on both sides of the wire: the
 * sender's CPU (this process) and Postgres's (the backends of the bench database, from
 * /proc/<pid>/stat).
 *
 *   tsx --conditions=source bench/webhook-body.ts [--readings 200000] [--users 10] [--repeat 3]
 *
 * It claims every delivery (made due again before each repeat) through
 * `store.webhooks.claimDue`, which builds the bodies: run it on two checkouts to compare two
 * ways of building them on the same data.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore } from '@pulsehub/store';
import { createTestDatabase, queryStore, sql } from '@pulsehub/store/testing';
import { postgresCpuMs } from './pg-cpu.js';

const { values } = parseArgs({ options: { readings: { type: 'string', default: '200000' }, users: { type: 'string', default: '10' }, repeat: { type: 'string', default: '3' } } });
const N = Number(values.readings);
const users = Array.from({ length: Number(values.users) }, (_, i) => `u${i}`);
const tdb = await createTestDatabase('postgres');
const store = await openStore(tdb.target);
await store.users.ensure(users);
for (const u of users) await store.webhooks.create({ userId: u, url: 'https://hooks.example.com/x', events: ['reading.stored'], secret: 'body-bench-secret-0123', windowMs: 0, maxBatch: 100, createdBy: 'bench' });
const t0 = Date.parse('2026-11-20T00:00:00Z');
for (let i = 0; i < N; i += 2000) {
  const batch: CanonicalEvent[] = Array.from({ length: Math.min(2000, N - i) }, (_, k) => {
    const j = i + k;
    const at = new Date(t0 + j * 50).toISOString();
    const userId = users[j % users.length]!;
    return { id: `b-${j}`, userId, deviceId: `${userId}-strap`, metric: 'heart_rate', time: { at }, values: { bpm: { value: 60 + (j % 100), unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: at } };
  });
  await store.observations.commitBatch({ events: batch });
}
while ((await store.webhooks.formDeliveries()) > 0);

/** Claims every delivery (made due again) and builds its body: `store.webhooks.claimDue`. */
async function claimAll(): Promise<number> {
  await queryStore(store, sql`update webhook_deliveries set status = 'pending', next_attempt_at = now() - interval '1 s'`);
  let bytes = 0;
  for (;;) {
    const got = await store.webhooks.claimDue({ limit: 8, leaseMs: 600_000 });
    if (got.length === 0) break;
    for (const d of got) bytes += d.body.length;
  }
  return bytes;
}

const results: { nodeUsPerReading: number; pgUsPerReading: number; wallMs: number; bytes: number }[] = [];
for (let r = 0; r < Number(values.repeat); r++) {
  {
    const fn = claimAll;
    const pg0 = await postgresCpuMs(store);
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const bytes = await fn();
    const wallMs = performance.now() - w0;
    const c = process.cpuUsage(c0);
    const pg = (await postgresCpuMs(store)) - pg0;
    results.push({ nodeUsPerReading: +(((c.user + c.system) / N).toFixed(2)), pgUsPerReading: +((pg * 1000 / N).toFixed(2)), wallMs: Math.round(wallMs), bytes });
  }
}
console.log(JSON.stringify({ readings: N, users: users.length, deliveries: (await queryStore<{ n: number }>(store, sql`select count(*)::int as n from webhook_deliveries`))[0]!.n, results }, null, 1));
await store.close();
await tdb.drop();
