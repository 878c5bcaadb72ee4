/**
 * Sustained ingest from MQTT into Postgres, against a raw COPY of the same rows into the same
 * table, measured in the same run.
 *
 *   pnpm bench:ingest [--mode embedded|consumer|split] [--batch-window-ms 0] [--events 200000] [--devices 20] [--batch 2000] [--db postgres|pglite] [--no-copy-path] [--rules on|off|both]
 *
 * `--rules off` runs ingest without the alert rule engine (the after-commit hook); `--rules
 * both` runs this script off, on, off, on in child processes one after the other (same
 * options) and prints each run and the on/off ratio of the throughputs, each also against
 * its own COPY reference.
 *   pnpm bench:ingest --webhooks N [--events 200000] [--batch 2000] [--users 20]   (webhook cost, bench/webhook-cost.ts)
 *
 * Hub side (this process): the PulseHub broker and the ingest pipeline (validation, adapter,
 * live republish, batched idempotent writes with daily rollups, ack after commit). Publishers
 * run in a child process (bench/ingest-publisher.ts) so they do not share this event loop.
 * Rate = events / (first publish → last event committed).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { createTokenService, generateSigningKey } from '@pulsehub/auth';
import { createBroker } from '@pulsehub/broker';
import { startEmbeddedIngest, startIngest, type IngestStats } from '@pulsehub/ingest';
import { openStore } from '@pulsehub/store';
import { createTestDatabase } from '@pulsehub/store/testing';

const { values } = parseArgs({ allowNegative: true, options: {
  events: { type: 'string', default: '400000' },
  devices: { type: 'string', default: '20' },
  batch: { type: 'string', default: '2000' },
  window: { type: 'string', default: '1000' },
  /** Offered load in events/s over all devices; 0 = as fast as the broker takes them. */
  rate: { type: 'string', default: '0' },
  db: { type: 'string', default: 'postgres' },
  /**
   * embedded: the intake inside the broker, as `pulsehub start` runs it (no MQTT hop to a
   *   consumer; a device's PUBACK is written once its batch is committed);
   * consumer: broker and the MQTT ingest consumer (`pulsehub ingest`'s pipeline) in one process;
   * split: the broker as a process of its own (`pulsehub broker` + `pulsehub ingest`).
   */
  mode: { type: 'string', default: 'embedded' },
  /** Postgres: large batches stored with COPY (the default); --no-copy-path for the one-statement INSERT … ON CONFLICT. */
  'copy-path': { type: 'boolean', default: true },
  /** Embedded mode: batches committing at once (the hub's default is 2). */
  inflight: { type: 'string', default: '2' },
  /** Alert rules after each commit: on (the hub's default), off, or both (alternating child runs). */
  rules: { type: 'string', default: 'on' },
  /** Issue 14: the commit cost of N active webhook subscriptions against none, in one run (bench/webhook-cost.ts). */
  webhooks: { type: 'string' },
  users: { type: 'string', default: '20' },
  'webhook-sender': { type: 'boolean', default: true },
  /** Embedded mode: 0 = group commit (the hub's default); > 0 = the old fixed batch window in ms, for a same-run comparison. */
  'batch-window-ms': { type: 'string', default: '0' },
  /** Worker threads for validation and adapters (PULSEHUB_INGEST_WORKERS); 0 = on the broker's loop. */
  workers: { type: 'string', default: '0' },
} });
if (values.webhooks !== undefined) {
  const { webhookCost } = await import('./webhook-cost.js');
  await webhookCost({ webhooks: Number(values.webhooks), events: Number(values.events === '400000' ? '200000' : values.events), batch: Number(values.batch), users: Number(values.users), sender: values['webhook-sender'], db: values.db === 'pglite' ? 'pglite' : 'postgres' });
  process.exit(0);
}
if (!['on', 'off', 'both'].includes(values.rules)) throw new Error(`--rules on|off|both, not ${values.rules}`);
if (values.rules === 'both') {
  const runs: { rules: string; eventsPerSec: number; ratioToCopy: number; hubCpuUsPerEvent: number; alerts: unknown }[] = [];
  const passOn = process.argv.slice(2).filter((a, i, all) => a !== '--rules' && all[i - 1] !== '--rules' && !a.startsWith('--rules='));
  for (const rules of ['off', 'on', 'off', 'on']) {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...passOn, '--rules', rules], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (c: Buffer) => (text += c.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`--rules ${rules} run exited ${code}`))));
    });
    const r = JSON.parse(out.slice(out.indexOf('{'))) as (typeof runs)[number];
    runs.push({ rules, eventsPerSec: r.eventsPerSec, ratioToCopy: r.ratioToCopy, hubCpuUsPerEvent: r.hubCpuUsPerEvent, alerts: r.alerts });
    console.error(JSON.stringify(runs[runs.length - 1]));
  }
  const mean = (k: 'eventsPerSec' | 'ratioToCopy' | 'hubCpuUsPerEvent', rules: string) => {
    const xs = runs.filter((r) => r.rules === rules).map((r) => r[k]);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  console.log(JSON.stringify({
    runs,
    offEventsPerSec: Math.round(mean('eventsPerSec', 'off')), onEventsPerSec: Math.round(mean('eventsPerSec', 'on')),
    onOverOff: Number((mean('eventsPerSec', 'on') / mean('eventsPerSec', 'off')).toFixed(3)),
    onOverOffAgainstCopy: Number((mean('ratioToCopy', 'on') / mean('ratioToCopy', 'off')).toFixed(3)),
    hubCpuUsPerEvent: { off: Number(mean('hubCpuUsPerEvent', 'off').toFixed(1)), on: Number(mean('hubCpuUsPerEvent', 'on').toFixed(1)) },
  }, null, 2));
  process.exit(0);
}
const RULES = values.rules === 'on';
const MODE = values.mode;
if (MODE !== 'embedded' && MODE !== 'consumer' && MODE !== 'split') throw new Error(`--mode embedded|consumer|split, not ${MODE}`);
const DEVICES = Number(values.devices);
const PER_DEVICE = Math.ceil(Number(values.events) / DEVICES);
const N = PER_DEVICE * DEVICES;
const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

const tdb = await createTestDatabase(values.db === 'pglite' ? 'pglite' : 'postgres');
const store = await openStore(tdb.target.kind === 'postgres' ? { ...tdb.target, copyBatches: values['copy-path'] } : tdb.target);
/** Commits the writer made (every path, COPY or INSERT) and the readings they carried: the batch sizes group commit chose. */
const batches = { commits: 0, events: 0 };
{
  const commit = store.observations.commitBatch.bind(store.observations);
  store.observations.commitBatch = (b) => ((batches.commits++, (batches.events += b.events.length)), commit(b));
}
const keyring = { current: generateSigningKey(), previous: [] };
const tokens = createTokenService(keyring);
// Device rate limits off: 20 connections stand in for the thousands of devices (at 20–50 msg/s each) a real stream comes from.
interface BenchBroker { port: number; cpuMs(): number; outgoing?: () => AsyncIterable<{ messageId?: number; topic: string; brokerCounter: number }>; close(): Promise<void> }
async function inProcessBroker(): Promise<BenchBroker> {
  const broker = await createBroker({ tokens, logger: log, rateLimits: false });
  const { port } = await broker.listen({ port: 0, host: '127.0.0.1' });
  return { port, cpuMs: () => 0, outgoing: () => broker.queued('bench-ingest'), close: () => broker.close() };
}
/** bench/broker-node.ts as a child: the broker on a core of its own, like `pulsehub broker`. */
async function childBroker(): Promise<BenchBroker> {
  const { mkdtempSync, writeFileSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'pulsehub-ingest-bench-'));
  writeFileSync(join(dir, 'keys.json'), JSON.stringify(keyring));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', fileURLToPath(new URL('./broker-node.ts', import.meta.url)), '--port', String(port), '--keys', join(dir, 'keys.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => (d.toString().includes('on 127.0.0.1:') ? resolve() : undefined));
    child.once('exit', (code) => reject(new Error(`broker exited ${code}`)));
  });
  const ticks = () => {
    const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime + stime, 100 Hz clock ticks → ms
  };
  return { port, cpuMs: ticks, close: () => new Promise((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))) };
}
interface BenchIngest { readonly stats: Pick<IngestStats, 'stored' | 'duplicates' | 'failedCommits'>; close(): Promise<void>; rulesIdle?(): Promise<void>; ruleStats?(): unknown }
let broker: BenchBroker;
let ingest: BenchIngest;
if (MODE === 'embedded') {
  // The shape `pulsehub start` runs: ingest inside the broker, live events on its local bus.
  const windowMs = Number(values['batch-window-ms']);
  const intake = startEmbeddedIngest({ store, logger: log, maxBatch: Number(values.batch), ...(windowMs > 0 ? { maxDelayMs: windowMs } : {}), maxInFlight: Number(values.inflight), rollupRefreshMs: 60_000, rules: RULES, workers: Number(values.workers) });
  const b = await createBroker({ tokens, logger: log, rateLimits: false, intake: intake.intake });
  const { port: p } = await b.listen({ port: 0, host: '127.0.0.1' });
  broker = { port: p, cpuMs: () => 0, close: () => b.close() };
  ingest = { get stats() { return intake.stats; }, close: () => intake.close(), rulesIdle: async () => intake.rules?.idle(), ruleStats: () => (intake.rules ? { ...intake.rules.stats } : null) };
} else {
  broker = MODE === 'split' ? await childBroker() : await inProcessBroker();
  const service = startIngest({
    broker: { host: '127.0.0.1', port: broker.port }, token: (await tokens.mint({ subject: 'pulsehub-ingest', kind: 'service' })).token,
    username: 'pulsehub-ingest', clientId: 'bench-ingest', store, logger: log, maxBatch: Number(values.batch), rollupRefreshMs: 60_000, rules: RULES, workers: Number(values.workers),
  });
  await service.ready();
  ingest = service;
}
const { port } = broker;

const devices: { deviceId: string; userId: string; token: string }[] = [];
for (let i = 0; i < DEVICES; i++) {
  const userId = `bench-u${i}`;
  devices.push({ deviceId: `bench-w${i}`, userId, token: (await tokens.mint({ subject: `bench-w${i}`, kind: 'device', users: [userId] })).token });
}

interface PublisherRun { done: Promise<{ sent: number; ms: number; cpuMs: number }> }
/** Starts the publisher process; resolves once every packet is built and every device connected. `go()` starts publishing. */
const startPublishers = (prefix: string, perDevice: number, rate = 0) => new Promise<{ go(): PublisherRun }>((ready, reject) => {
  const input = { host: '127.0.0.1', port, devices, perDevice, window: Number(values.window), startMs: Date.parse('2026-11-20T00:00:00Z'), prefix, rate: rate / DEVICES, waitForGo: true };
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./ingest-publisher.ts', import.meta.url)), JSON.stringify(input)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  let finish: (r: { sent: number; ms: number; cpuMs: number }) => void = () => {};
  let fail: (err: Error) => void = reject;
  const done = new Promise<{ sent: number; ms: number; cpuMs: number }>((res, rej) => ((finish = res), (fail = rej)));
  done.catch(() => {});
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    if (out.includes('"ready":true') && !out.includes('"sent"')) {
      out = out.slice(out.indexOf('\n') + 1);
      ready({ go: () => (child.stdin.end('go\n'), { done }) });
    }
  });
  child.on('exit', (code) => (code === 0 ? finish(JSON.parse(out) as { sent: number; ms: number; cpuMs: number }) : fail(new Error(`publisher exited ${code}`))));
  child.on('exit', (code) => code !== 0 && reject(new Error(`publisher exited ${code}`)));
});
const runPublishers = async (prefix: string, perDevice: number, rate = 0) => (await startPublishers(prefix, perDevice, rate)).go().done;

const waitStored = async (target: number) => {
  while (ingest.stats.stored + ingest.stats.duplicates < target) await new Promise((r) => setTimeout(r, 5));
};

// Warm-up: JIT, connections, first batches (not measured).
const warm = Math.min(Number(process.env.BENCH_WARM ?? 20_000), N);
if (warm > 0) await runPublishers('warm', Math.ceil(warm / DEVICES));
await waitStored(Math.ceil(warm / DEVICES) * DEVICES);
const base = ingest.stats.stored;
const batchesBase = { ...batches };

const progress = process.env.BENCH_PROGRESS ? setInterval(() => console.error(JSON.stringify(ingest.stats)), 1000) : null;
/** Whole-machine CPU from /proc/stat: how much of both cores the run kept busy (hub, publishers, Postgres). */
const machineTicks = async () => {
  const { readFileSync } = await import('node:fs');
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { idle: f[3]! + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
};
// The run starts, as each reference COPY does, right after a checkpoint.
if (tdb.url) {
  const { default: postgres } = await import('postgres');
  const sql = postgres(tdb.url, { max: 1, onnotice: () => {} });
  await sql`checkpoint`;
  await sql.end();
}
// BENCH_PROFILE=<file>: a CPU profile (.cpuprofile, for Chrome DevTools) of the hub over the measured run only.
const profiler = process.env.BENCH_PROFILE ? new (await import('node:inspector/promises')).Session() : null;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}
const publishers = await startPublishers('run', PER_DEVICE, Number(values.rate));
const machine0 = await machineTicks();
const cpu0 = process.cpuUsage();
/** CPU ms of the broker's thread alone (worker threads excluded): its /proc task's utime + stime (100 Hz ticks). */
const mainThreadCpuMs = async () => {
  const { readFileSync } = await import('node:fs');
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const main0 = await mainThreadCpuMs();
const brokerCpu0 = broker.cpuMs();
const t0 = performance.now();
const pub = await publishers.go().done;
await waitStored(base + N + ingest.stats.duplicates);
// With rules on, the run ends when the rules have also seen every committed reading.
await ingest.rulesIdle?.();
const ingestMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const mainMs = (await mainThreadCpuMs()) - main0;
const machine1 = await machineTicks();
if (profiler) {
  const { profile } = await profiler.post('Profiler.stop');
  (await import('node:fs')).writeFileSync(process.env.BENCH_PROFILE!, JSON.stringify(profile));
  profiler.disconnect();
}
const machineBusy = 1 - (machine1.idle - machine0.idle) / (machine1.total - machine0.total);
const brokerCpuMs = broker.cpuMs() - brokerCpu0;
const stats = ingest.stats;
if (process.env.BENCH_PROGRESS) {
  let outgoing = 0;
  const ids = new Map<unknown, number>();
  let sample: unknown;
  for await (const p of broker.outgoing?.() ?? []) {
    outgoing++;
    ids.set(p.messageId, (ids.get(p.messageId) ?? 0) + 1);
    sample ??= { messageId: p.messageId, topic: p.topic, brokerCounter: p.brokerCounter };
  }
  console.error('distinct messageIds among them:', ids.size, 'sample', sample);
  console.error('broker outgoing queue for ingest after the run:', outgoing);
}
if (progress) clearInterval(progress);
const ruleStats = ingest.ruleStats?.() ?? null;
await ingest.close();
await broker.close();

// The same rows, COPY'd into the same table (emptied first), as text.
const esc = (v: string | null) => (v === null ? '\\N' : v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n'));
const lines: string[] = [];
for (const d of devices) {
  const events = await store.history.range({ userId: d.userId, metric: 'heart_rate', from: new Date(0), to: new Date('2100-01-01'), limit: 10_000_000 });
  for (const e of events) {
    if (!e.id.startsWith('run-')) continue;
    const at = 'at' in e.time ? e.time.at : e.time.end;
    const start = 'at' in e.time ? e.time.at : e.time.start;
    lines.push([e.id, e.userId, e.deviceId, e.metric, start, at, JSON.stringify(e.values), e.series ? JSON.stringify(e.series) : null, e.source.adapter, e.source.receivedAt].map(esc).join('\t') + '\n');
  }
}
// Three COPYs, each into the emptied table after a checkpoint (as the hub's run started after
// one): the median is the reference, so one slow COPY (autovacuum, a checkpoint) does not set it.
let copyMs = NaN;
const copyRuns: number[] = [];
if (tdb.url) {
  const { default: postgres } = await import('postgres');
  const sql = postgres(tdb.url, { max: 1, onnotice: () => {} });
  for (let run = 0; run < 3; run++) {
    await sql`truncate observations`;
    await sql`checkpoint`;
    const c0 = performance.now();
    const stream = await sql`copy observations (id, user_id, device_id, metric, time_start, time_end, "values", series, adapter, received_at) from stdin`.writable();
    await new Promise<void>((resolve, reject) => {
      stream.on('error', reject);
      stream.on('finish', () => resolve());
      const CHUNK = 1000;
      for (let i = 0; i < lines.length; i += CHUNK) stream.write(lines.slice(i, i + CHUNK).join(''));
      stream.end();
    });
    copyRuns.push(performance.now() - c0);
    const [{ n }] = (await sql`select count(*)::int as n from observations`) as unknown as [{ n: number }];
    if (n !== lines.length) throw new Error(`COPY stored ${n} of ${lines.length}`);
  }
  copyMs = [...copyRuns].sort((a, b) => a - b)[1]!;
  await sql.end();
}
await store.close();
await tdb.drop();

const rate = N / (ingestMs / 1000);
const copyRate = lines.length / (copyMs / 1000);
console.log(JSON.stringify({
  mode: MODE, events: N, devices: DEVICES, batch: Number(values.batch), db: values.db, offeredPerSec: Number(values.rate) || 'unlimited',
  publishMs: Math.round(pub.ms), ingestMs: Math.round(ingestMs), eventsPerSec: Math.round(rate),
  copyRows: lines.length, copyMs: Math.round(copyMs), copyRowsPerSecRuns: copyRuns.map((ms) => Math.round(lines.length / (ms / 1000))), copyRowsPerSec: Math.round(copyRate), ratioToCopy: Number((rate / copyRate).toFixed(3)),
  hubCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / ingestMs) * 100),
  publisherCpuPercent: Math.round((pub.cpuMs / ingestMs) * 100),
  hubCpuUsPerEvent: Number(((cpu.user + cpu.system) / N).toFixed(1)),
  /** The broker's thread only (worker threads are in hubCpuUsPerEvent): CPU per event and share of the run. */
  mainThreadCpuUsPerEvent: Number(((mainMs * 1000) / N).toFixed(1)),
  mainThreadCpuPercent: Math.round((mainMs / ingestMs) * 100),
  machineBusyPercent: Math.round(machineBusy * 100),
  ...(MODE === 'split' ? { brokerCpuPercent: Math.round((brokerCpuMs / ingestMs) * 100) } : {}),
  commits: store.observations.commitStats,
  batches: { commits: batches.commits - batchesBase.commits, meanEvents: Math.round((batches.events - batchesBase.events) / Math.max(1, batches.commits - batchesBase.commits)) },
  batchWindowMs: Number(values['batch-window-ms']),
  workers: Number(values.workers),
  stored: stats.stored - base, duplicates: stats.duplicates, failedCommits: stats.failedCommits,
  rules: values.rules, alerts: ruleStats,
}, null, 2));
process.exit(0);
