/**
 * Our broker as a benchmark target: JWT authentication and the default topic rules on,
 * in-memory state, logs off. `--keys FILE` is the keyring broker-creds.ts signed with.
 * `--bare` starts a plain Aedes 1.2 instead (no hooks, anonymous): the reference the
 * issue's targets are stated against, measured in the same run.
 *
 *   node --conditions=source --import tsx bench/broker-node.ts --port 18831 --keys keys.json
 *   node --conditions=source --import tsx bench/broker-node.ts --port 18832 --bare
 *
 * `--alloc-profile FILE [--alloc-window 8,8]`: a sampling heap profile (every 1 KB allocated,
 * garbage included) from second 8 for 8 seconds, written to FILE (open it in DevTools'
 * Memory tab): where the bytes that make scavenges come from, e.g. in the `c` scenario.
 * `--alloc-live` keeps only what is still alive at the window's end: what survives scavenges
 * and gets promoted (in `c`, the next Packet each parser held for its device's next message).
 *
 * `--intake postgres|pglite` runs the embedded ingest inside the broker as `pulsehub start`
 * does (a fresh test database; each QoS 1 PUBACK only after its message is committed — mqtt-load's
 * payloads are JSON but no device format, so each is stored as a dead letter);
 * `--ingest-workers N` puts its validation and adapters on N worker threads
 * (PULSEHUB_INGEST_WORKERS). broker-compare.sh passes `PULSEHUB_ARGS` here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics } from 'node:v8';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { Session } from 'node:inspector/promises';
import { createTokenService, type Keyring } from '@pulsehub/auth';
import { createBroker } from '@pulsehub/broker';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '18831' },
    keys: { type: 'string' },
    'rate-limits': { type: 'boolean', default: false },
    bare: { type: 'boolean', default: false },
    stats: { type: 'boolean', default: false },
    'alloc-profile': { type: 'string' },
    'alloc-window': { type: 'string', default: '8,8' },
    'alloc-live': { type: 'boolean', default: false },
    intake: { type: 'string' },
    'ingest-workers': { type: 'string', default: '0' },
  },
});
if (values.stats) reportStalls();
if (values['alloc-profile']) sampleAllocations(values['alloc-profile'], values['alloc-window'], values['alloc-live']);
let stop: () => void;
if (values.bare) {
  // aedes is the broker package's dependency, not the workspace root's: resolve it from there.
  const aedesPath = createRequire(new URL('../broker/package.json', import.meta.url)).resolve('aedes');
  const { Aedes } = (await import(aedesPath)) as { Aedes: { createBroker(): Promise<{ handle(s: unknown): void; close(cb: () => void): void }> } };
  const aedes = await Aedes.createBroker();
  const server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((r) => server.listen(Number(values.port), '127.0.0.1', r));
  console.error(`bare aedes on 127.0.0.1:${values.port}`);
  stop = () => aedes.close(() => process.exit(0));
} else {
  if (!values.keys) throw new Error('--keys FILE is required (written by bench/broker-creds.ts)');
  const keyring = JSON.parse(readFileSync(values.keys, 'utf8')) as Keyring;
  const ingest = values.intake ? await startIntake(values.intake, Number(values['ingest-workers'])) : undefined;
  const broker = await createBroker({
    ...(ingest ? { intake: ingest.intake } : {}),
    tokens: createTokenService(keyring),
    // The fan-in scenarios publish as fast as the window allows: per-device limits would
    // measure the limiter, not the broker. `--rate-limits` turns the defaults back on.
    ...(values['rate-limits'] ? {} : { rateLimits: false as const }),
  });
  const { port } = await broker.listen({ port: Number(values.port), host: '127.0.0.1' });
  console.error(`pulsehub broker (auth + ACL) on 127.0.0.1:${port}`);
  stop = () => void broker.close().then(async () => {
    await ingest?.close();
    process.exit(0);
  });
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// `kill -USR2 <pid>` prints memory figures (after a full GC when started with --expose-gc).
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
  console.error(`rss ${mb(m.rss)} heapUsed ${mb(m.heapUsed)} heapTotal ${mb(m.heapTotal)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)}`);
  for (const s of getHeapSpaceStatistics()) if (s.space_size > 0) console.error(`  ${s.space_name}: size ${mb(s.space_size)} used ${mb(s.space_used_size)}`);
});

/**
 * `--stats`: every 5 s, event-loop delay (p50/p99/max) and the GC pauses of that window, to
 * tell a latency tail caused by the loop (our code, GC) from one caused by the OS scheduler.
 */
function reportStalls(): void {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const gcs: { kind: number; ms: number }[] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ kind: (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0, ms: e.duration });
  }).observe({ entryTypes: ['gc'] });
  const ms = (ns: number) => (ns / 1e6).toFixed(1);
  setInterval(() => {
    const major = gcs.filter((g) => g.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    const minor = gcs.filter((g) => g.kind !== constants.NODE_PERFORMANCE_GC_MAJOR);
    const worst = (l: { ms: number }[]) => Math.max(0, ...l.map((g) => g.ms)).toFixed(1);
    console.error(
      `loop delay p50 ${ms(loop.percentile(50))} p99 ${ms(loop.percentile(99))} max ${ms(loop.max)} ms; GC minor ${minor.length} (worst ${worst(minor)} ms) major ${major.length} (worst ${worst(major)} ms)`,
    );
    loop.reset();
    gcs.length = 0;
  }, 5000).unref();
}

/** `--alloc-profile`: V8's sampling heap profiler, collected objects kept in the samples unless `liveOnly`. */
function sampleAllocations(file: string, window: string, liveOnly: boolean): void {
  const [startSec = 8, lengthSec = 8] = window.split(',').map(Number);
  const session = new Session();
  session.connect();
  setTimeout(() => {
    void (async () => {
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: !liveOnly, includeObjectsCollectedByMinorGC: !liveOnly });
      console.error(`allocation sampling for ${lengthSec} s`);
      setTimeout(() => {
        void session.post('HeapProfiler.stopSampling').then(({ profile }) => {
          writeFileSync(file, JSON.stringify(profile));
          console.error(`allocation profile written to ${file}`);
        });
      }, lengthSec * 1000).unref();
    })();
  }, startSec * 1000).unref();
}

/** The embedded ingest on a fresh test database (dropped on stop). */
async function startIntake(db: string, workers: number) {
  if (db !== 'postgres' && db !== 'pglite') throw new Error(`--intake postgres|pglite, not ${db}`);
  const { startEmbeddedIngest } = await import('@pulsehub/ingest');
  const { openStore } = await import('@pulsehub/store');
  const { createTestDatabase } = await import('@pulsehub/store/testing');
  const tdb = await createTestDatabase(db);
  const store = await openStore(tdb.target);
  const ingest = startEmbeddedIngest({ store, rollupRefreshMs: 600_000, ...(workers > 0 ? { workers } : {}) });
  console.error(`intake on (${db}, ${workers} worker threads)`);
  return {
    intake: ingest.intake,
    close: async () => {
      console.error(`intake: ${JSON.stringify(ingest.stats)}`);
      await ingest.close();
      await store.close();
      await tdb.drop();
    },
  };
}
