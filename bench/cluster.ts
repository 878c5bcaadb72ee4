/**
 * One node against the 2-node cluster, in one run on this machine (issue 15, section 5):
 *
 *   A. `pulsehub start`: one process, no Redis, no balancer (the reference);
 *   B. 1 broker + 1 web node behind HAProxy, on Redis (cli/src/cluster.ts);
 *   C. 2 brokers + 2 web nodes behind HAProxy, on Redis.
 *
 * For each: throughput (QoS 1 readings acknowledged per second — a PUBACK means committed in
 * every shape, README "Data flow" — with a fixed window of unacknowledged readings per
 * device) and device → coach-WebSocket latency at a fixed offered rate. B / A is the cost of
 * Redis and the balancer (and the roles apart); C / B what a second node buys on this
 * machine. Redis commands and Postgres transactions per reading are measured too: they feed
 * the capacity table of deploy/README.md.
 *
 *   pnpm bench:cluster [--seconds 8] [--devices 40] [--window 20] [--rate 200]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import postgres from 'postgres';
import WebSocket from 'ws';
import { eventsTopic, type ServerMessage } from '@pulsehub/contracts';
import { freePorts, startCluster, type Cluster } from '@pulsehub/cli';
import { openStore } from '@pulsehub/store';
import { createTestDatabase } from '@pulsehub/store/testing';
import { hubSecret, hubTokens, startHubProcess } from './lib/hub-process.js';

const { values } = parseArgs({ options: {
  seconds: { type: 'string', default: '8' }, devices: { type: 'string', default: '40' },
  window: { type: 'string', default: '20' }, rate: { type: 'string', default: '200' },
} });
const SECONDS = Number(values.seconds), DEVICES = Number(values.devices), WINDOW = Number(values.window), RATE = Number(values.rate);

interface Target {
  name: string;
  mqttPort: number;
  httpPort: number;
  databaseUrl: string;
  redisUrl?: string;
  mint(subject: string, kind: 'device' | 'coach', users?: string[]): Promise<string>;
  stop(): Promise<void>;
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99) };
}

/** A: `pulsehub start` as a process of its own on a fresh Postgres database. */
async function single(): Promise<Target> {
  const db = await createTestDatabase('postgres');
  await (await openStore(db.target)).close();
  const [mqttPort, httpPort] = (await freePorts(2)) as [number, number];
  const secret = hubSecret();
  const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-bench-'));
  const hub = await startHubProcess({ databaseUrl: db.url!, dataDir, mqttPort, httpPort }, secret);
  const mint = hubTokens(secret);
  return {
    name: 'A. pulsehub start (1 process, no Redis)', mqttPort, httpPort, databaseUrl: db.url!,
    mint: (subject, kind, users) => mint(subject, kind, users),
    stop: async () => {
      await hub.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function clustered(n: number): Promise<Target> {
  const cluster: Cluster = await startCluster({ brokers: n, webs: n, logLevel: 'warn' });
  return {
    name: `${n === 1 ? 'B' : 'C'}. ${n} broker${n > 1 ? 's' : ''} + ${n} web via HAProxy, Redis`,
    mqttPort: cluster.mqtt.port, httpPort: cluster.http.port, databaseUrl: cluster.state.database.url, redisUrl: cluster.state.redisUrl,
    mint: (subject, kind, users) => cluster.mint({ subject, kind, ...(users ? { users } : {}), ttlSeconds: 3600 }),
    stop: () => cluster.stop(),
  };
}

const connect = (port: number, id: string, token: string) => mqtt.connectAsync({ host: '127.0.0.1', port, clientId: id, username: id, password: token, clean: false, reconnectPeriod: 0 });

/** Commands the whole Redis server processed so far (other users of the shared server add noise; see README). */
function redisCommands(url: string | undefined): number {
  if (!url) return 0;
  const info = execFileSync('redis-cli', ['-u', url, 'INFO', 'stats']).toString();
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

async function measure(t: Target) {
  const sql = postgres(t.databaseUrl, { max: 1, onnotice: () => {} });
  const users = Array.from({ length: 10 }, (_, i) => `bench-u${i}`);
  await sql`insert into users ${sql(users.map((id) => ({ id, name: id })))} on conflict do nothing`;
  await sql`insert into consents ${sql(users.map((a) => ({ athlete_id: a, viewer_id: 'bench-coach' })))} on conflict do nothing`;
  const devices: MqttClient[] = [];
  for (let i = 0; i < DEVICES; i++) {
    const id = `bench-d${i}-${t.mqttPort}`;
    devices.push(await connect(t.mqttPort, id, await t.mint(id, 'device', [users[i % users.length]!])));
  }
  let seq = 0;
  const send = (c: MqttClient, i: number, cb: (err?: Error) => void) => {
    const id = `b${t.mqttPort}-${++seq}`;
    c.publish(eventsTopic(users[i % users.length]!), JSON.stringify({ id, metric: 'heart_rate', at: new Date().toISOString(), values: { bpm: 60 + (seq % 100) } }), { qos: 1 }, cb);
    return id;
  };

  // Throughput: every device keeps WINDOW readings unacknowledged.
  const xact0 = (await sql`select xact_commit::int as n from pg_stat_database where datname = current_database()`)[0]!.n as number;
  const redis0 = redisCommands(t.redisUrl);
  let acked = 0, stopAt = 0;
  const t0 = performance.now();
  stopAt = t0 + SECONDS * 1000;
  await Promise.all(devices.map((c, i) => new Promise<void>((done) => {
    let open = 0;
    const pump = () => {
      while (open < WINDOW && performance.now() < stopAt) {
        open++;
        send(c, i, () => {
          open--;
          acked++;
          if (performance.now() < stopAt) pump();
          else if (open === 0) done();
        });
      }
    };
    pump();
  })));
  const elapsed = (performance.now() - t0) / 1000;
  const xact1 = (await sql`select xact_commit::int as n from pg_stat_database where datname = current_database()`)[0]!.n as number;
  const redis1 = redisCommands(t.redisUrl);
  const throughput = acked / elapsed;

  // Latency: a coach board on /live follows every user; devices publish at RATE readings/s in all.
  const ws = new WebSocket(`ws://127.0.0.1:${t.httpPort}/live?token=${encodeURIComponent(await t.mint('bench-coach', 'coach'))}`);
  const sentAt = new Map<string, number>();
  const lat: number[] = [];
  await new Promise<void>((r, j) => {
    ws.once('error', j);
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as ServerMessage;
      if (m.type === 'ready') ws.send(JSON.stringify({ type: 'subscribe', athletes: users }));
      else if (m.type === 'subscribed') r();
      else if (m.type === 'event') {
        const s = sentAt.get(m.event.id);
        if (s !== undefined) lat.push(performance.now() - s);
      }
    });
  });
  await new Promise((r) => setTimeout(r, 500)); // snapshots
  const latSeconds = Math.max(3, Math.round(SECONDS / 2));
  const total = RATE * latSeconds;
  for (let k = 0; k < total; k++) {
    const i = k % devices.length;
    const id = send(devices[i]!, i, () => {});
    sentAt.set(id, performance.now());
    await new Promise((r) => setTimeout(r, 1000 / RATE));
  }
  await new Promise((r) => setTimeout(r, 1000));
  ws.close();
  await Promise.all(devices.map((c) => c.endAsync(true)));
  await sql.end();
  return {
    throughput, acked,
    pgTxPerReading: (xact1 - xact0) / Math.max(1, acked),
    redisCmdPerReading: t.redisUrl ? (redis1 - redis0) / Math.max(1, acked) : 0,
    latency: stats(lat), latencySent: total,
  };
}

const results: { name: string; r: Awaited<ReturnType<typeof measure>> }[] = [];
for (const make of [single, () => clustered(1), () => clustered(2)]) {
  const t = await make();
  try {
    results.push({ name: t.name, r: await measure(t) });
  } finally {
    await t.stop();
  }
  const last = results.at(-1)!;
  console.error(`${last.name}: ${last.r.throughput.toFixed(0)} readings/s`);
}

const ref = results[0]!.r.throughput;
console.log(`\nbench/cluster.ts — ${DEVICES} devices × ${WINDOW} unacknowledged, ${SECONDS} s; latency at ${RATE} readings/s\n`);
console.log('| shape | readings/s acked (committed) | ratio to A | WS latency p50 / p90 / p99 | events seen | Redis cmds per reading | PG transactions per reading |');
console.log('|---|---|---|---|---|---|---|');
for (const { name, r } of results) {
  const l = r.latency;
  console.log(`| ${name} | ${r.throughput.toFixed(0)} | ${(r.throughput / ref).toFixed(2)}× | ${l.p50.toFixed(1)} / ${l.p90.toFixed(1)} / ${l.p99.toFixed(1)} ms | ${l.n}/${r.latencySent} | ${r.redisCmdPerReading.toFixed(2)} | ${r.pgTxPerReading.toFixed(3)} |`);
}
const [, b, c] = results;
if (b && c) console.log(`\ncost of Redis + balancer (B/A): ${(b.r.throughput / ref).toFixed(2)}×; second node (C/B): ${(c.r.throughput / b.r.throughput).toFixed(2)}×`);
process.exit(0);
