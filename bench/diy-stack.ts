/**
 * PulseHub against the stack a team would build by hand (issue 17 §6), one run, same devices
 * and boards:
 *
 *   DIY:      Mosquitto (started on a free port: anonymous, persistence off)
 *             + a plain `mqtt` subscriber batching multi-row INSERTs into Postgres (bench/lib/diy-ingest.ts)
 *             + a plain `mqtt` subscriber with a `ws` server broadcasting to boards (bench/lib/diy-live.ts)
 *   PulseHub: `pulsehub start` (one process) on Postgres, free ports.
 *
 * Devices (bench/lib/devices.ts, one child process) publish QoS 1 at 1 Hz; boards
 * (bench/lib/boards.ts, one child process) each follow the same athletes. Per stack:
 *   - device → board latency p50/p99 (send time in the reading's id, read on the board),
 *   - readings stored per second (rows counted at the start and end of the measured window),
 *   - CPU of the stack's processes and of the Postgres backends serving its database,
 *     over the measured window (Postgres's background writers are not counted),
 *   - loss: at --kill-at seconds the ingest process (DIY) or the hub (PulseHub) is SIGKILLed and
 *     started again after --down seconds; devices reconnect and resend what was not
 *     acknowledged; after the drain, rows in Postgres vs distinct readings published.
 *
 *   pnpm bench:diy [--devices 1000] [--athletes 200] [--boards 50] [--seconds 60]
 *                  [--measure-from 5] [--kill-at 40] [--down 3] [--flush-ms 100] [--flush-rows 1000]
 *                  [--only diy|hub] [--first diy|hub] [--hub-flags=--cpu-prof]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { freePorts } from '@pulsehub/cli';
import { openStore } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { spawnJsonChild, type JsonChild } from './lib/child.js';
import { hubSecret, hubTokens, startHubProcess, type HubProcess } from './lib/hub-process.js';
import { CpuWindow, epochMicros, type Percentiles } from './lib/stats.js';

const { values } = parseArgs({ options: {
  devices: { type: 'string', default: '1000' }, athletes: { type: 'string', default: '200' }, boards: { type: 'string', default: '50' },
  seconds: { type: 'string', default: '60' }, 'measure-from': { type: 'string', default: '5' }, 'kill-at': { type: 'string', default: '40' },
  down: { type: 'string', default: '3' }, 'flush-ms': { type: 'string', default: '100' }, 'flush-rows': { type: 'string', default: '1000' },
  only: { type: 'string' }, first: { type: 'string', default: 'diy' }, 'hub-flags': { type: 'string', default: '' },
} });
const DEVICES = Number(values.devices), ATHLETES = Number(values.athletes), BOARDS = Number(values.boards);
const SECONDS = Number(values.seconds), FROM = Number(values['measure-from']), KILL_AT = Number(values['kill-at']), DOWN = Number(values.down);
if (!(FROM + 2 < KILL_AT && KILL_AT + DOWN < SECONDS)) throw new Error('need measure-from + 2 < kill-at and kill-at + down < seconds');
const here = import.meta.dirname;
const lib = (f: string) => join(here, 'lib', f);
const sleepUntil = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

interface Stack {
  name: string;
  databaseUrl: string;
  mqttPort: number;
  board: { kind: 'hub' | 'diy'; url: string };
  /** Device credentials (PulseHub needs tokens, Mosquitto is anonymous). */
  token?: (deviceId: string, userId: string) => Promise<string>;
  /** The stack's own processes, named. */
  pids(): Record<string, number>;
  countRows(sql: postgres.Sql): Promise<number>;
  crash(): Promise<void>;
  recover(): Promise<void>;
  close(): Promise<void>;
}

async function waitPort(port: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function diyStack(db: TestDatabase): Promise<Stack> {
  const [mqttPort, wsPort] = (await freePorts(2)) as [number, number];
  const dir = mkdtempSync(join(tmpdir(), 'pulsehub-diy-'));
  const conf = join(dir, 'mosquitto.conf');
  // max_queued_messages raised from 1,000 so that a slow subscriber is not what loses readings.
  writeFileSync(conf, `listener ${mqttPort} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\nlog_dest none\n`);
  const mosquitto = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  await waitPort(mqttPort);
  const sql = postgres(db.url!, { max: 1, onnotice: () => {} });
  await sql`create table readings (id text primary key, user_id text not null, metric text not null, at timestamptz not null, bpm integer not null, received_at timestamptz not null default now())`;
  await sql.end();
  const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
  const startIngest = async () => {
    const c = spawnJsonChild(lib('diy-ingest.ts'), [JSON.stringify({ mqttUrl, databaseUrl: db.url, flushMs: Number(values['flush-ms']), flushRows: Number(values['flush-rows']) })]);
    await c.next((l) => l.ready === true, 'ready');
    return c;
  };
  let ingest: JsonChild = await startIngest();
  const live = spawnJsonChild(lib('diy-live.ts'), [JSON.stringify({ mqttUrl, port: wsPort })]);
  await live.next((l) => l.ready === true, 'ready');
  return {
    name: 'DIY (Mosquitto + mqtt→INSERT + ws)', databaseUrl: db.url!, mqttPort,
    board: { kind: 'diy', url: `ws://127.0.0.1:${wsPort}` },
    pids: () => ({ mosquitto: mosquitto.pid!, ingest: ingest.pid, live: live.pid }),
    countRows: async (s) => (await s`select count(*)::int as n from readings`)[0]!.n as number,
    crash: () => ingest.kill(),
    recover: async () => void (ingest = await startIngest()),
    close: async () => {
      await Promise.all([ingest.stop(), live.stop()]);
      const exited = new Promise((r) => mosquitto.once('exit', r));
      mosquitto.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pulseHub(db: TestDatabase): Promise<Stack> {
  await (await openStore(db.target)).close();
  const [mqttPort, httpPort] = (await freePorts(2)) as [number, number];
  const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-diy-hub-'));
  const secret = hubSecret();
  const mint = hubTokens(secret);
  const opts = { databaseUrl: db.url!, dataDir, mqttPort, httpPort, nodeFlags: values['hub-flags'] ? values['hub-flags'].split(' ') : [] };
  let hub: HubProcess = await startHubProcess(opts, secret);
  const sql = postgres(db.url!, { max: 1, onnotice: () => {} });
  const users = Array.from({ length: DEVICES }, (_, i) => ({ id: `ath${i}`, name: `ath${i}` }));
  for (let i = 0; i < users.length; i += 1000) await sql`insert into users ${sql(users.slice(i, i + 1000))} on conflict do nothing`;
  await sql`insert into consents ${sql(users.slice(0, ATHLETES).map((u) => ({ athlete_id: u.id, viewer_id: 'bench-coach' })))} on conflict do nothing`;
  await sql.end();
  return {
    name: 'PulseHub (pulsehub start)', databaseUrl: db.url!, mqttPort,
    board: { kind: 'hub', url: `ws://127.0.0.1:${httpPort}/live?token=${encodeURIComponent(await mint('bench-coach', 'coach'))}` },
    token: (deviceId, userId) => mint(deviceId, 'device', [userId]),
    pids: () => ({ hub: hub.pid }),
    countRows: async (s) => (await s`select count(*)::int as n from observations`)[0]!.n as number,
    crash: () => hub.kill(),
    recover: async () => void (hub = await startHubProcess({ ...opts, nodeFlags: [] }, secret)),
    close: async () => {
      await hub.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Result {
  name: string; load: string;
  board: Percentiles; boardFrames: number; puback: Percentiles;
  storedPerSecond: number; offeredPerSecond: number;
  cpu: Record<string, number>; stackCpu: number; pgCpu: number; pgBackends: number; clientsCpu: { devices: number; boards: number };
  sent: number; acked: number; stored: number; lost: number; resent: number; reconnects: number; recoverMs: number;
}

async function run(make: (db: TestDatabase) => Promise<Stack>): Promise<Result> {
  const loadAtStart = load();
  console.error(`load average ${loadAtStart}`);
  const db = await createTestDatabase('postgres');
  const stack = await make(db);
  const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const athletes = Array.from({ length: ATHLETES }, (_, i) => `ath${i}`);
    const boards = spawnJsonChild(lib('boards.ts'), [JSON.stringify({ ...stack.board, athletes, boards: BOARDS })]);
    await boards.next((l) => l.ready === true, 'boards ready');
    const devices = [];
    for (let i = 0; i < DEVICES; i++) devices.push({ deviceId: `w${i}`, userId: `ath${i}`, ...(stack.token ? { token: await stack.token(`w${i}`, `ath${i}`) } : {}) });
    const dir = mkdtempSync(join(tmpdir(), 'pulsehub-diy-devices-'));
    const inputFile = join(dir, 'input.json');
    writeFileSync(inputFile, JSON.stringify({ host: '127.0.0.1', port: stack.mqttPort, devices, seconds: SECONDS, prefix: 'r', reportMs: 5000, ackRounds: [FROM, KILL_AT - 1], drainMs: 30_000 }), { mode: 0o600 });
    const pub = spawnJsonChild(lib('devices.ts'), [inputFile]);
    await pub.next((l) => l.ready === true, 'devices ready');
    rmSync(dir, { recursive: true, force: true });
    const final = pub.next<{ final: { sent: number; acked: number; resent: number; reconnects: number; pubackMs: Percentiles } }>((l) => 'final' in l, 'final');
    const t0 = Date.now();
    pub.send({ go: true });

    await sleepUntil(t0 + FROM * 1000);
    const backends = ((await sql`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`) as unknown as { pid: number }[]).map((r) => r.pid);
    const stackPids = stack.pids();
    const cpu = new CpuWindow([...Object.values(stackPids), ...backends, pub.pid, boards.pid]);
    const rows0 = await stack.countRows(sql);
    const w0 = epochMicros();
    await sleepUntil(t0 + (KILL_AT - 1) * 1000);
    const w1 = epochMicros();
    const rows1 = await stack.countRows(sql);
    const pct = cpu.stop();
    const seconds = (w1 - w0) / 1e6;

    await sleepUntil(t0 + KILL_AT * 1000);
    await stack.crash();
    const tKill = Date.now();
    await sleepUntil(tKill + DOWN * 1000);
    await stack.recover();
    const recoverMs = Date.now() - tKill;
    const f = (await final).final;
    // Drain: rows stop changing for 3 s (at most 30 s).
    let stored = await stack.countRows(sql);
    for (let quiet = 0, k = 0; quiet < 6 && k < 60; k++) {
      await new Promise((r) => setTimeout(r, 500));
      const n = await stack.countRows(sql);
      quiet = n === stored ? quiet + 1 : 0;
      stored = n;
    }
    boards.send({ report: [w0, w1] });
    const b = await boards.next<{ latencyMs: Percentiles; frames: number }>((l) => 'latencyMs' in l, 'report');
    await Promise.all([boards.stop(), pub.stop()]);
    const named = Object.fromEntries(Object.entries(stackPids).map(([k, pid]) => [k, pct.get(pid) ?? 0]));
    const pgCpu = backends.reduce((s, p) => s + (pct.get(p) ?? 0), 0);
    const stackCpu = Object.values(named).reduce((a, x) => a + x, 0);
    return {
      name: stack.name, load: loadAtStart,
      board: b.latencyMs, boardFrames: b.frames, puback: f.pubackMs,
      storedPerSecond: (rows1 - rows0) / seconds, offeredPerSecond: DEVICES,
      cpu: named, stackCpu, pgCpu, pgBackends: backends.length, clientsCpu: { devices: pct.get(pub.pid) ?? 0, boards: pct.get(boards.pid) ?? 0 },
      sent: f.sent, acked: f.acked, stored, lost: f.sent - stored, resent: f.resent, reconnects: f.reconnects, recoverMs,
    };
  } finally {
    await sql.end();
    await stack.close();
    await db.drop();
  }
}

const order = values.only === 'diy' ? [diyStack] : values.only === 'hub' ? [pulseHub] : values.first === 'hub' ? [pulseHub, diyStack] : [diyStack, pulseHub];
const results: Result[] = [];
for (const make of order) {
  const r = await run(make);
  console.error(JSON.stringify(r));
  if (make === diyStack) results.unshift(r);
  else results.push(r);
}

const fmt = (x: number) => (!Number.isFinite(x) ? '—' : Number.isInteger(x) ? x.toLocaleString('en') : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const [d, h] = results.length === 2 ? results : [undefined, undefined];
console.log(`\nbench/diy-stack.ts — ${DEVICES} devices × 1 Hz QoS 1, ${BOARDS} boards × ${ATHLETES} athletes; measured s ${FROM}–${KILL_AT - 1}; kill at ${KILL_AT} s, down ${DOWN} s; ${SECONDS} s in all\n`);
const rows: [string, (r: Result) => number, string][] = [
  ['device → board p50 (ms)', (r) => r.board.p50, ''],
  ['device → board p99 (ms)', (r) => r.board.p99, '≤ 1.2×'],
  ['device → board max (ms)', (r) => r.board.max, ''],
  ['PUBACK p50 (ms)', (r) => r.puback.p50, ''],
  ['PUBACK p99 (ms)', (r) => r.puback.p99, ''],
  ['stored readings/s', (r) => r.storedPerSecond, '≥ 1×'],
  ['CPU stack processes (% of a core)', (r) => r.stackCpu, ''],
  ['CPU Postgres backends (%)', (r) => r.pgCpu, ''],
  ['CPU stack + backends (%)', (r) => r.stackCpu + r.pgCpu, ''],
  ['readings published (distinct)', (r) => r.sent, ''],
  ['rows stored after the drain', (r) => r.stored, ''],
  ['lost (published − stored)', (r) => r.lost, '0'],
];
console.log(`| metric | ${results.map((r) => r.name).join(' | ')} |${d && h ? ' PulseHub / DIY | target |' : ''}`);
console.log(`|---|${results.map(() => '---|').join('')}${d && h ? '---|---|' : ''}`);
for (const [label, get, target] of rows) {
  console.log(`| ${label} | ${results.map((r) => fmt(get(r))).join(' | ')} |${d && h ? ` ${get(d) ? fmt(get(h) / get(d)) + '×' : '—'} | ${target} |` : ''}`);
}
for (const r of results) console.log(`${r.name}: CPU ${Object.entries(r.cpu).map(([k, v]) => `${k} ${v.toFixed(1)} %`).join(', ')}, ${r.pgBackends} Postgres backends; devices process ${r.clientsCpu.devices.toFixed(1)} %, boards process ${r.clientsCpu.boards.toFixed(1)} %; board frames ${r.boardFrames}, latency samples ${r.board.n}; resent ${r.resent}, reconnects ${r.reconnects}, back ${r.recoverMs} ms after the kill; load average at start ${r.load}`);
if (d && h) {
  const ok = (b: boolean) => (b ? 'met' : 'MISSED');
  console.log(`\ntarget: device→board p99 ≤ 1.2× DIY: ${fmt(h.board.p99 / d.board.p99)}× — ${ok(h.board.p99 <= 1.2 * d.board.p99)}; stored rate ≥ DIY: ${fmt(h.storedPerSecond / d.storedPerSecond)}× — ${ok(h.storedPerSecond >= d.storedPerSecond * 0.995)}; zero loss: ${h.lost} — ${ok(h.lost === 0)}`);
}
console.log(`load average at end: ${load()}`);
process.exit(0);
