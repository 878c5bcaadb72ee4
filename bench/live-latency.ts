/**
 * Publish → WebSocket latency through the whole hub (broker → ingest → live topic → web
 * gateway → WebSocket), against a reference measured in the same run: one bare MQTT hop
 * (publish → subscriber) through the same broker. Also the device's PUBACK time, which
 * includes the database commit (the embedded hub acknowledges a reading once it is stored).
 *
 *   pnpm bench:latency [--messages 1000] [--db pglite|postgres] [--batch-window-ms 5]
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import mqtt from 'mqtt';
import postgres from 'postgres';
import WebSocket from 'ws';
import { generateSigningKey } from '@pulsehub/auth';
import { createTestDatabase } from '@pulsehub/store/testing';
import { loadConfig, startHub } from '@pulsehub/cli';

// --batch-window-ms 5: the fixed batch window the hub used before group commit (same-run comparison).
const { values } = parseArgs({ options: { messages: { type: 'string', default: '1000' }, db: { type: 'string', default: 'postgres' }, 'batch-window-ms': { type: 'string', default: '0' }, workers: { type: 'string', default: '0' } } });
const N = Number(values.messages);

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { n: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s[s.length - 1]! };
}
const fmt = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;

const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-bench-'));
const db = await createTestDatabase(values.db === 'pglite' ? 'pglite' : 'postgres');
const hub = await startHub({
  config: loadConfig({ PULSEHUB_DATA_DIR: dataDir, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0', PULSEHUB_INGEST_BATCH_WINDOW_MS: values['batch-window-ms'], PULSEHUB_INGEST_WORKERS: values.workers }),
  keyring: { current: generateSigningKey(), previous: [] },
  storeTarget: db.target,
  logger: pino({ level: 'warn' }),
});
await hub.store.users.upsert({ id: 'bench', name: 'Bench' });
await hub.store.consents.grant('bench', 'coach-bench');

const device = mqtt.connect({ host: hub.mqtt.host, port: hub.mqtt.port, username: 'w-bench', password: await hub.mint({ subject: 'w-bench', kind: 'device', users: ['bench'] }), clientId: 'w-bench' });
await new Promise((r) => device.once('connect', r));

// Reference: a bare MQTT hop through the same broker — an admin publishes QoS 1 to a plain
// topic and an admin subscriber receives it (no ingest, no database, no WebSocket).
const adminToken = await hub.mint({ subject: 'adm', kind: 'admin' });
const sub = mqtt.connect({ host: hub.mqtt.host, port: hub.mqtt.port, username: 'adm', password: adminToken, clientId: 'adm-bench-sub' });
const refPub = mqtt.connect({ host: hub.mqtt.host, port: hub.mqtt.port, username: 'adm', password: adminToken, clientId: 'adm-bench-pub' });
await Promise.all([new Promise((r) => sub.once('connect', r)), new Promise((r) => refPub.once('connect', r))]);
await sub.subscribeAsync('bench/reference', { qos: 1 });

const ws = new WebSocket(`ws://127.0.0.1:${hub.http.port}/live?token=${await hub.mint({ subject: 'coach-bench', kind: 'coach' })}`);
await new Promise((r) => ws.once('open', r));
const wsWaiters = new Map<string, (t: number) => void>();
const mqttWaiters = new Map<string, (t: number) => void>();
ws.on('message', (d) => {
  const m = JSON.parse(d.toString());
  if (m.type === 'event') wsWaiters.get(m.event.id)?.(performance.now());
  if (m.type === 'snapshot') wsWaiters.get('snapshot')?.(0);
});
sub.on('message', (_t, payload) => {
  const id = JSON.parse(payload.toString()).id as string;
  mqttWaiters.get(id)?.(performance.now());
});
const snap = new Promise((r) => wsWaiters.set('snapshot', r));
ws.send(JSON.stringify({ type: 'subscribe', athletes: ['bench'] }));
await snap;

// Reference for the PUBACK (Postgres): one durable commit — a one-row INSERT in its own
// transaction into the same database over a connection of its own, once per reading, in the
// same run. No acknowledgement can come before a commit; this is the floor the disk sets.
const probe = db.url ? postgres(db.url, { max: 1, onnotice: () => {} }) : null;
await probe?.unsafe('create table bench_commit_probe (id text primary key, at timestamptz not null, v integer not null)');
const commitLat: number[] = [];

const hubLat: number[] = [];
const hopLat: number[] = [];
const ackLat: number[] = [];
// 40 readings/s: a fast sensor, under the broker's default device rate limit (50/s), which
// would otherwise hold readings back and be what this measures.
const PERIOD_MS = 25;
let next = performance.now();
for (let i = 0; i < N + 50; i++) {
  const idle = next - performance.now();
  if (idle > 0) await new Promise((r) => setTimeout(r, idle));
  next += PERIOD_MS;
  const id = `b-${i}`;
  const gotWs = new Promise<number>((r) => wsWaiters.set(id, r));
  const gotMqtt = new Promise<number>((r) => mqttWaiters.set(id, r));
  const t0 = performance.now();
  const acked = device.publishAsync('users/bench/events', JSON.stringify({ id, metric: 'heart_rate', at: new Date().toISOString(), values: { bpm: 60 + (i % 100) } }), { qos: 1 }).then(() => performance.now());
  const tWs = await gotWs;
  // The PUBACK comes once the reading is committed; the next reading waits for it, as a
  // device publishing once a second would never have two in flight.
  const tAck = await acked;
  const t1 = performance.now();
  refPub.publish('bench/reference', JSON.stringify({ id }), { qos: 1 });
  const tMqtt = await gotMqtt;
  const t2 = performance.now();
  await probe?.unsafe('insert into bench_commit_probe (id, at, v) values ($1, now(), $2)', [id, i]);
  const tCommit = performance.now();
  wsWaiters.delete(id);
  mqttWaiters.delete(id);
  if (i >= 50) { // the first 50 warm up JIT and connections
    hubLat.push(tWs - t0);
    ackLat.push(tAck - t0);
    hopLat.push(tMqtt - t1);
    if (probe) commitLat.push(tCommit - t2);
  }
}
const h = stats(hubLat);
const r = stats(hopLat);
console.log(`publish → WebSocket through the hub (${h.n} messages at ${1000 / PERIOD_MS}/s, one in flight, ${hub.store.kind}):`);
console.log(`  hub        p50 ${fmt(h.p50)}  p90 ${fmt(h.p90)}  p99 ${fmt(h.p99)}  max ${fmt(h.max)}`);
console.log(`  reference  p50 ${fmt(r.p50)}  p90 ${fmt(r.p90)}  p99 ${fmt(r.p99)}  max ${fmt(r.max)}   (bare MQTT hop, same broker)`);
console.log(`  ratio hub/reference: p50 ${(h.p50 / r.p50).toFixed(2)}×  p99 ${(h.p99 / r.p99).toFixed(2)}×`);
const k = stats(ackLat);
console.log(`  PUBACK (reading committed to the database before the device is acknowledged): p50 ${fmt(k.p50)}  p99 ${fmt(k.p99)}`);
const c = commitLat.length > 0 ? stats(commitLat) : null;
if (c) {
  console.log(`  reference: one-row INSERT committed on its own, same database: p50 ${fmt(c.p50)}  p99 ${fmt(c.p99)}`);
  console.log(`  ratio PUBACK/commit: p50 ${(k.p50 / c.p50).toFixed(2)}×  p99 ${(k.p99 / c.p99).toFixed(2)}×`);
}
console.log(JSON.stringify({ bench: 'live-latency', db: hub.store.kind, hub_ms: h, reference_ms: r, puback_ms: k, ...(c ? { commit_ms: c } : {}) }));

ws.close();
await device.endAsync();
await sub.endAsync();
await refPub.endAsync();
await probe?.end();
await hub.close();
await db.drop();
rmSync(dataDir, { recursive: true, force: true });
