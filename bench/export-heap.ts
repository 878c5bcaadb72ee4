/**
 * Heap while streaming a person's export: N readings (default 1,000,000) and a reference of
 * N/10 in the same run, both over real HTTP from a hub on Postgres. Constant memory means the
 * peak heap above the idle baseline does not grow with N (ratio ≈ 1, not ≈ 10).
 *
 *   pnpm bench:export [--readings 1000000] [--format csv|omh|fhir]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import postgres from 'postgres';
import { generateSigningKey } from '@pulsehub/auth';
import { loadConfig, startHub } from '@pulsehub/cli';
import { createTestDatabase } from '@pulsehub/store/testing';

const { values: args } = parseArgs({ options: { readings: { type: 'string', default: '1000000' }, format: { type: 'string', default: 'csv' } } });
const N = Number(args.readings);
const db = await createTestDatabase('postgres');
const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-bench-export-'));
const hub = await startHub({
  config: loadConfig({ PULSEHUB_DATA_DIR: dataDir, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0' }),
  keyring: { current: generateSigningKey(), previous: [] }, storeTarget: db.target, logger: pino({ level: 'silent' }),
});
try {
  const admin = await hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 3600 });
  const seed = async (user: string, n: number) => {
    await hub.store.users.upsert({ id: user, name: user });
    const pg = postgres(db.url!, { max: 1, onnotice: () => {} });
    await pg`insert into observations (id, user_id, device_id, metric, time_start, time_end, values, adapter, received_at)
      select 'r' || i, ${user}, 'w1', 'heart_rate', t, t, jsonb_build_object('bpm', jsonb_build_object('value', 60 + i % 100, 'unit', '/min')), 'pulsehub.v1', t
      from generate_series(1, ${n}::int) i, lateral (select timestamptz '2026-01-01' + i * interval '1 second' as t) x`;
    await pg.end();
  };
  const run = async (user: string, n: number) => {
    globalThis.gc?.();
    const base = process.memoryUsage().heapUsed;
    let peak = base;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().heapUsed); }, 20);
    const t0 = performance.now();
    const res = await fetch(`${hub.http.url}/api/users/${user}/export?format=${args.format}`, { headers: { authorization: `Bearer ${admin}` } });
    let bytes = 0;
    for await (const chunk of res.body!) bytes += (chunk as Uint8Array).byteLength;
    clearInterval(sampler);
    const s = (performance.now() - t0) / 1000;
    const grow = (peak - base) / 2 ** 20;
    console.log(`${args.format} ${n} readings: ${(bytes / 2 ** 20).toFixed(0)} MiB in ${s.toFixed(1)} s (${Math.round(n / s)} readings/s), peak heap +${grow.toFixed(1)} MiB over ${(base / 2 ** 20).toFixed(0)} MiB`);
    return grow;
  };
  await seed('ref', N / 10);
  await seed('big', N);
  const ref = await run('ref', N / 10);
  const big = await run('big', N);
  console.log(`heap growth ratio ${N} / ${N / 10} readings: ${(big / ref).toFixed(2)} (10 would be linear)`);
} finally {
  await hub.close();
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
