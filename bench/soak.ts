/**
 * Soak: many devices × 1 Hz QoS 1 against a whole hub as `pulsehub start` runs it (broker with
 * the ingest intake inside it, web), for minutes. Samples the hub's RSS, heap and event-loop
 * delay every few seconds, and at the end reports RSS drift (first stable minute vs last),
 * stored = acked (rows in the database vs PUBACKs the devices counted) and lost = 0.
 *
 *   pnpm bench:soak [--minutes 30] [--devices 2000] [--sample 10] [--db postgres|pglite]
 *
 * Postgres: a fresh database on the local test server, or DATABASE_URL (an empty database)
 * when set. The hub runs in this process (its figures are this process's); the devices run in
 * a child process (bench/soak-publisher.ts) so they do not share its event loop.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { generateSigningKey } from '@pulsehub/auth';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { loadConfig, startHub } from '@pulsehub/cli';

const { values } = parseArgs({ options: {
  minutes: { type: 'string', default: '30' },
  devices: { type: 'string', default: '2000' },
  /** Seconds between samples. */
  sample: { type: 'string', default: '10' },
  db: { type: 'string', default: 'postgres' },
} });
const MINUTES = Number(values.minutes);
const DEVICES = Number(values.devices);
const SAMPLE_MS = Number(values.sample) * 1000;
if (!(MINUTES >= 2)) throw new Error('--minutes must be at least 2 (the first minute is warm-up)');

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
/** monitorEventLoopDelay records whole timer intervals: the delay is the interval less its resolution. */
const RESOLUTION_MS = 10;
const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);

const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-soak-'));
const envUrl = values.db === 'postgres' ? process.env.DATABASE_URL : undefined;
const tdb: TestDatabase | undefined = envUrl ? undefined : await createTestDatabase(values.db === 'pglite' ? 'pglite' : 'postgres');
const storeTarget = envUrl ? { kind: 'postgres' as const, url: envUrl } : tdb!.target;
const databaseUrl = envUrl ?? tdb?.url;
const hub = await startHub({
  config: loadConfig({ PULSEHUB_DATA_DIR: dataDir, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0' }),
  keyring: { current: generateSigningKey(), previous: [] },
  storeTarget,
  logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
});

const devices: { deviceId: string; userId: string; token: string }[] = [];
for (let i = 0; i < DEVICES; i++) {
  const userId = `soak-u${i}`;
  const deviceId = `soak-w${i}`;
  devices.push({ deviceId, userId, token: await hub.mint({ subject: deviceId, kind: 'device', users: [userId] }) });
}

interface Progress { t: number; sent: number; acked: number }
interface Final { sent: number; acked: number; disconnects: number }
let progress: Progress = { t: 0, sent: 0, acked: 0 };
const input = { host: hub.mqtt.host, port: hub.mqtt.port, devices, minutes: MINUTES, prefix: 'soak', reportMs: SAMPLE_MS };
const inputFile = join(dataDir, 'soak-input.json');
writeFileSync(inputFile, JSON.stringify(input), { mode: 0o600 });
const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./soak-publisher.ts', import.meta.url)), inputFile], { stdio: ['pipe', 'pipe', 'inherit'] });
let ready: () => void = () => {};
const isReady = new Promise<void>((r) => (ready = r));
let finish: (f: Final) => void = () => {};
const finished = new Promise<Final>((r) => (finish = r));
let buf = '';
child.stdout.on('data', (c: Buffer) => {
  buf += c.toString();
  let nl: number;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = JSON.parse(buf.slice(0, nl)) as { ready?: true; progress?: Progress } & Partial<Final>;
    buf = buf.slice(nl + 1);
    if (line.ready) ready();
    else if (line.progress) progress = line.progress;
    else finish(line as Final);
  }
});
child.once('exit', (code) => code !== 0 && (console.error(`publisher exited ${code}`), process.exit(1)));
await isReady;

interface Sample { t: number; rssMb: number; heapMb: number; eldP50: number; eldP99: number; eldMax: number; sent: number; acked: number }
const samples: Sample[] = [];
const window = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
const whole = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
window.enable();
whole.enable();
const t0 = performance.now();
child.stdin.end('go\n');
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  const s: Sample = { t: Math.round((performance.now() - t0) / 1000), rssMb: mb(m.rss), heapMb: mb(m.heapUsed), eldP50: ms(window.percentile(50)), eldP99: ms(window.percentile(99)), eldMax: ms(window.max), sent: progress.sent, acked: progress.acked };
  window.reset();
  samples.push(s);
  console.error(JSON.stringify(s));
}, SAMPLE_MS);

const final = await finished;
clearInterval(sampler);
window.disable();
whole.disable();

// Every PUBACK is written after its reading's commit: what the devices counted is stored.
let stored: number;
if (databaseUrl) {
  const { default: postgres } = await import('postgres');
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const [row] = (await sql`select count(*)::int as n from observations where device_id like 'soak-w%'`) as unknown as [{ n: number }];
  stored = row.n;
  await sql.end();
} else {
  stored = 0;
  for (const d of devices) stored += (await hub.store.history.range({ userId: d.userId, metric: 'heart_rate', from: new Date(0), to: new Date('2100-01-01'), limit: 10_000_000 })).length;
}
await hub.close();
await tdb?.drop();
rmSync(dataDir, { recursive: true, force: true });

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const end = samples.at(-1)?.t ?? 0;
const firstStable = samples.filter((s) => s.t > 60 && s.t <= 120);
const last = samples.filter((s) => s.t > end - 60);
const rssFirst = mean(firstStable.map((s) => s.rssMb));
const rssLast = mean(last.map((s) => s.rssMb));
const heapFirst = mean(firstStable.map((s) => s.heapMb));
const heapLast = mean(last.map((s) => s.heapMb));
console.log(JSON.stringify({
  devices: DEVICES, minutes: MINUTES, db: envUrl ? 'postgres (DATABASE_URL)' : values.db,
  sent: final.sent, acked: final.acked, stored, lost: final.sent - final.acked, storedEqualsAcked: stored === final.acked, disconnects: final.disconnects,
  rssMb: { firstStableMinute: Math.round(rssFirst), lastMinute: Math.round(rssLast), drift: Math.round(rssLast - rssFirst), max: Math.max(...samples.map((s) => s.rssMb)) },
  heapMb: { firstStableMinute: Math.round(heapFirst), lastMinute: Math.round(heapLast), drift: Math.round(heapLast - heapFirst) },
  eventLoopDelayMs: { p50: ms(whole.percentile(50)), p99: ms(whole.percentile(99)), max: ms(whole.max), worstSampleP99: Math.max(...samples.map((s) => s.eldP99)) },
}, null, 2));
process.exit(final.sent === final.acked && stored === final.acked ? 0 : 1);
