/**
 * 10,000 devices on one node, whole path (issue 17 §7): `pulsehub start` as one process on
 * Postgres (broker, ingest intake, live, web), devices at 1 Hz QoS 1 (bench/lib/devices.ts,
 * one child process), boards following some of the athletes (bench/lib/boards.ts, one child
 * process). Reports PUBACK p50/p99 (a PUBACK means the reading is committed), device → board
 * p50/p99, the hub's RSS (idle, all connected, end of run), CPU of the hub and of the Postgres
 * backends per 1,000 devices, and stored = published.
 *
 *   pnpm bench:10k [--devices 10000] [--athletes 200] [--boards 50] [--seconds 60] [--measure-from 15]
 *                  [--hub-flags=--cpu-prof]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { freePorts } from '@pulsehub/cli';
import { openStore } from '@pulsehub/store';
import { createTestDatabase } from '@pulsehub/store/testing';
import { spawnJsonChild } from './lib/child.js';
import { hubSecret, hubTokens, startHubProcess } from './lib/hub-process.js';
import { CpuWindow, cpuSeconds, epochMicros, rssMb, type Percentiles } from './lib/stats.js';

const { values } = parseArgs({ options: {
  devices: { type: 'string', default: '10000' }, athletes: { type: 'string', default: '200' }, boards: { type: 'string', default: '50' },
  seconds: { type: 'string', default: '60' }, 'measure-from': { type: 'string', default: '15' }, 'hub-flags': { type: 'string', default: '' },
} });
const DEVICES = Number(values.devices), ATHLETES = Number(values.athletes), BOARDS = Number(values.boards);
const SECONDS = Number(values.seconds), FROM = Number(values['measure-from']);
if (!(FROM + 5 < SECONDS)) throw new Error('--measure-from must leave at least 5 s of the run');
const lib = (f: string) => join(import.meta.dirname, 'lib', f);
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const loadAtStart = load();
console.error(`${cpus().length} cores, load average ${loadAtStart}`);

const db = await createTestDatabase('postgres');
await (await openStore(db.target)).close();
const [mqttPort, httpPort] = (await freePorts(2)) as [number, number];
const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-10k-'));
const secret = hubSecret();
const mint = hubTokens(secret);
const hub = await startHubProcess({ databaseUrl: db.url!, dataDir, mqttPort, httpPort, nodeFlags: values['hub-flags'] ? values['hub-flags'].split(' ') : [] }, secret);
const sql = postgres(db.url!, { max: 1, onnotice: () => {} });
const users = Array.from({ length: DEVICES }, (_, i) => ({ id: `ath${i}`, name: `ath${i}` }));
for (let i = 0; i < users.length; i += 1000) await sql`insert into users ${sql(users.slice(i, i + 1000))} on conflict do nothing`;
await sql`insert into consents ${sql(users.slice(0, ATHLETES).map((u) => ({ athlete_id: u.id, viewer_id: 'bench-coach' })))} on conflict do nothing`;
const countRows = async () => (await sql`select count(*)::int as n from observations`)[0]!.n as number;

await new Promise((r) => setTimeout(r, 2000));
const rssIdle = rssMb(hub.pid);
const boards = spawnJsonChild(lib('boards.ts'), [JSON.stringify({ kind: 'hub', url: `ws://127.0.0.1:${httpPort}/live?token=${encodeURIComponent(await mint('bench-coach', 'coach'))}`, athletes: users.slice(0, ATHLETES).map((u) => u.id), boards: BOARDS })]);
await boards.next((l) => l.ready === true, 'boards ready');
const devices = [];
for (let i = 0; i < DEVICES; i++) devices.push({ deviceId: `w${i}`, userId: `ath${i}`, token: await mint(`w${i}`, 'device', [`ath${i}`]) });
const inputFile = join(dataDir, 'devices.json');
writeFileSync(inputFile, JSON.stringify({ host: '127.0.0.1', port: mqttPort, devices, seconds: SECONDS, prefix: 'r', reportMs: 10_000, ackRounds: [FROM, SECONDS], drainMs: 120_000 }), { mode: 0o600 });
const hubCpuBeforeConnect = cpuSeconds(hub.pid);
const tc0 = performance.now();
const pub = spawnJsonChild(lib('devices.ts'), [inputFile]);
await pub.next((l) => l.ready === true, 'devices ready');
const connectSeconds = (performance.now() - tc0) / 1000;
const connectCpu = cpuSeconds(hub.pid) - hubCpuBeforeConnect;
await new Promise((r) => setTimeout(r, 2000));
const rssConnected = rssMb(hub.pid);

const final = pub.next<{ final: { sent: number; acked: number; unacked: number; resent: number; reconnects: number; pubackMs: Percentiles } }>((l) => 'final' in l, 'final');
const t0 = Date.now();
pub.send({ go: true });
const rssSamples: number[] = [];
const sampler = setInterval(() => rssSamples.push(rssMb(hub.pid)), 5000);
await sleepUntil(t0 + FROM * 1000);
const backends = ((await sql`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`) as unknown as { pid: number }[]).map((r) => r.pid);
const cpu = new CpuWindow([hub.pid, ...backends, pub.pid, boards.pid]);
const rows0 = await countRows();
const w0 = epochMicros();
await sleepUntil(t0 + SECONDS * 1000);
const w1 = epochMicros();
const rows1 = await countRows();
const pct = cpu.stop();
clearInterval(sampler);
const rssEnd = rssMb(hub.pid);
const f = (await final).final;
let stored = await countRows();
for (let quiet = 0, k = 0; quiet < 4 && k < 60; k++) {
  await new Promise((r) => setTimeout(r, 500));
  const n = await countRows();
  quiet = n === stored ? quiet + 1 : 0;
  stored = n;
}
boards.send({ report: [w0, w1] });
const b = await boards.next<{ latencyMs: Percentiles; frames: number; closed: number }>((l) => 'latencyMs' in l, 'report');
await Promise.all([boards.stop(), pub.stop()]);
await sql.end();
await hub.stop();
await db.drop();
rmSync(dataDir, { recursive: true, force: true });

const hubCpu = pct.get(hub.pid) ?? 0;
const pgCpu = backends.reduce((s, p) => s + (pct.get(p) ?? 0), 0);
const per1k = (x: number) => x / (DEVICES / 1000);
const f2 = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const seconds = (w1 - w0) / 1e6;
console.log(`\nbench/ten-k.ts — ${DEVICES.toLocaleString('en')} devices × 1 Hz QoS 1 into one \`pulsehub start\` (Postgres), ${BOARDS} boards × ${ATHLETES} athletes; measured s ${FROM}–${SECONDS}; load average at start ${loadAtStart}, at end ${load()}\n`);
console.log('| metric | value |');
console.log('|---|---|');
console.log(`| PUBACK (committed) p50 / p99 / p99.9 / max | ${f2(f.pubackMs.p50)} / ${f2(f.pubackMs.p99)} / ${f2(f.pubackMs.p999)} / ${f2(f.pubackMs.max)} ms (${f.pubackMs.n.toLocaleString('en')} readings) |`);
console.log(`| device → board p50 / p99 / max | ${f2(b.latencyMs.p50)} / ${f2(b.latencyMs.p99)} / ${f2(b.latencyMs.max)} ms (${b.latencyMs.n.toLocaleString('en')} frames) |`);
console.log(`| stored readings/s in the window (offered ${DEVICES.toLocaleString('en')}) | ${Math.round((rows1 - rows0) / seconds).toLocaleString('en')} |`);
console.log(`| published / acknowledged / stored | ${f.sent.toLocaleString('en')} / ${f.acked.toLocaleString('en')} / ${stored.toLocaleString('en')} (lost ${f.sent - stored}; ${f.unacked} still unacknowledged when the devices stopped waiting, 120 s after the last send; reconnects ${f.reconnects}) |`);
console.log(`| hub RSS idle / all connected / end | ${Math.round(rssIdle)} / ${Math.round(rssConnected)} / ${Math.round(rssEnd)} MB (max sampled ${Math.round(Math.max(rssEnd, ...rssSamples))} MB; ${f2(((rssConnected - rssIdle) * 1024) / DEVICES)} KB per connected device) |`);
console.log(`| hub CPU | ${f2(hubCpu)} % of a core = **${f2(per1k(hubCpu))} % per 1,000 devices** |`);
console.log(`| Postgres backends CPU (${backends.length}) | ${f2(pgCpu)} % = ${f2(per1k(pgCpu))} % per 1,000 devices |`);
console.log(`| connect ${DEVICES.toLocaleString('en')} devices (groups of 100) | ${connectSeconds.toFixed(1)} s wall, ${connectCpu.toFixed(1)} s hub CPU |`);
console.log(`| load generators | devices process ${f2(pct.get(pub.pid) ?? 0)} %, boards process ${f2(pct.get(boards.pid) ?? 0)} % |`);
const storedRate = (rows1 - rows0) / seconds;
if (storedRate >= 0.98 * DEVICES) {
  console.log(`\nimplied: the hub alone at 100 % of one core → ${Math.round((100 * 1000) / per1k(hubCpu)).toLocaleString('en')} devices at 1 Hz; hub + its Postgres backends on 2 cores at 100 % → ${Math.round((200 * 1000) / per1k(hubCpu + pgCpu)).toLocaleString('en')} devices (before headroom)`);
} else {
  // Behind: CPU per device means nothing when the work is not done; the backlog is the figure.
  console.log(`\nthe hub did NOT keep up: ${Math.round(storedRate).toLocaleString('en')} of ${DEVICES.toLocaleString('en')} readings/s stored in the window (PUBACK p50 ${(f.pubackMs.p50 / 1000).toFixed(1)} s); this is above the node's capacity on this machine`);
}
process.exit(f.sent === stored ? 0 : 1);
