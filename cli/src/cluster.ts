import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { createTokenService, type MintOptions } from '@pulsehub/auth';
import { openStore } from '@pulsehub/store';
import { haproxyConfig, haproxyServers, type ServerStatus } from './cluster-haproxy.js';

/**
 * A local cluster as the roles-apart design runs it: HAProxy in front of N broker nodes
 * (TCP MQTT, each storing readings before their PUBACK) and M web nodes (HTTP, `/live`,
 * `/mqtt`), optionally standalone ingest workers instead, on the local Redis and
 * Postgres (a fresh database per cluster), all plain processes with one log file each in a
 * run folder. Ingest and web nodes reach the brokers through HAProxy too, so they follow a
 * broker that dies. `pulsehub cluster up|down|status` drives it from a shell; tests and
 * benchmarks use `await using cluster = await startCluster()`.
 */
export type ClusterRole = 'broker' | 'ingest' | 'web' | 'haproxy';

export interface ClusterNode {
  readonly name: string;
  readonly role: ClusterRole;
  pid: number;
  readonly log: string;
  /** The node's own listener (broker: MQTT, web: HTTP; HAProxy: none here). */
  readonly port?: number;
  /** How it was started, so it can be started again (failover tests). */
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

export interface ClusterState {
  readonly runDir: string;
  readonly database: { readonly name: string; readonly url: string; readonly adminUrl: string };
  readonly redisUrl: string;
  /** The cluster's token signing key (PULSEHUB_JWT_SECRET, kid k1). */
  readonly secret: string;
  /** HAProxy's frontends: what clients use. */
  readonly mqttPort: number;
  readonly httpPort: number;
  readonly statsSocket: string;
  readonly nodes: ClusterNode[];
}

export interface ClusterOptions {
  /** Default: a new temporary folder, removed by stop() (kept if keepRunDir). */
  runDir?: string;
  keepRunDir?: boolean;
  brokers?: number;
  webs?: number;
  /**
   * Standalone `pulsehub ingest` workers (default 0). With 0 the broker nodes store each reading
   * before its PUBACK (PULSEHUB_BROKER_INTAKE, the cluster's guarantee); with N > 0 the brokers
   * only route and N workers consume through HAProxy (the consumer shape, README: Data flow).
   */
  ingest?: number;
  /** Where a fresh database is created (default PULSEHUB_TEST_DATABASE_URL or the local `test`). */
  adminDatabaseUrl?: string;
  /** A Redis server; the cluster claims an empty database index 10..15 of it. */
  redisUrl?: string;
  /** Processes outlive the caller (`pulsehub cluster up`). */
  detached?: boolean;
  logLevel?: string;
  /** Extra environment for every PulseHub node. */
  env?: Record<string, string>;
  haproxyBin?: string;
  startTimeoutMs?: number;
}

export interface Cluster extends AsyncDisposable {
  readonly state: ClusterState;
  readonly mqtt: { host: string; port: number; url: string };
  readonly http: { host: string; port: number; url: string };
  node(name: string): ClusterNode;
  /** Signs a token with the cluster's key. */
  mint(options: MintOptions): Promise<string>;
  /** Sends a signal to one node (SIGKILL to simulate a crash) and waits for it to exit. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a node again with the same ports and environment, once it has exited. */
  restart(name: string): Promise<void>;
  /** HAProxy's view of every server. */
  servers(): Promise<ServerStatus[]>;
  stop(): Promise<void>;
}

const MAIN = resolve(import.meta.dirname, 'main.ts');
const REPO = resolve(import.meta.dirname, '../..');
export const STATE_FILE = 'cluster.json';
const CLAIM_KEY = 'pulsehub:cluster:claim';
/** Marks every process of a cluster (checked in /proc before a signal is sent by pid). */
const MARK = 'PULSEHUB_CLUSTER_DIR';

export async function startCluster(o: ClusterOptions = {}): Promise<Cluster> {
  const runDir = resolve(o.runDir ?? mkdtempSync(join(tmpdir(), 'pulsehub-cluster-')));
  mkdirSync(runDir, { recursive: true });
  if (existsSync(join(runDir, STATE_FILE))) throw new Error(`a cluster is already running from ${runDir} (pulsehub cluster down)`);
  const nBrokers = o.brokers ?? 2, nWebs = o.webs ?? 2, nIngest = o.ingest ?? 0;
  const [mqttPort, httpPort, ...own] = await freePorts(2 + nBrokers + nWebs);
  const brokers = Array.from({ length: nBrokers }, (_, i) => ({ name: `broker-${i + 1}`, port: own[i]! }));
  const webs = Array.from({ length: nWebs }, (_, i) => ({ name: `web-${i + 1}`, port: own[nBrokers + i]! }));
  const statsSocket = join(runDir, 'haproxy.sock');
  const secret = randomBytes(32).toString('base64url');
  const database = await createDatabase(o.adminDatabaseUrl ?? process.env.PULSEHUB_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test');
  const state: ClusterState = { runDir, database, redisUrl: '', secret, mqttPort: mqttPort!, httpPort: httpPort!, statsSocket, nodes: [] };
  const children = new Map<string, ChildProcess>();
  const cluster = makeCluster(state, children, o);
  try {
    (state as { redisUrl: string }).redisUrl = await claimRedisDb(o.redisUrl ?? 'redis://127.0.0.1:6379', runDir);
    // The migrations run once here, before several processes would race to apply them.
    await (await openStore({ kind: 'postgres', url: database.url })).close();
    const common = nodeEnv(state, o);
    const lbMqtt = `mqtt://127.0.0.1:${state.mqttPort}`;
    const spawnAll = (specs: { name: string; role: ClusterRole; port?: number; env: Record<string, string> }[]) =>
      Promise.all(specs.map((s) => launch(state, children, o, { ...s, argv: [process.execPath, '--max-semi-space-size=64', '--import', 'tsx', '--conditions=source', MAIN, s.role] })));
    await spawnAll(brokers.map((b) => ({ ...b, role: 'broker', env: { ...common, PULSEHUB_MQTT_PORT: String(b.port), PULSEHUB_BROKER_INTAKE: String(nIngest === 0), PULSEHUB_BROKER_HEARTBEAT_MS: o.env?.PULSEHUB_BROKER_HEARTBEAT_MS ?? '2000' } })));
    writeFileSync(join(runDir, 'haproxy.cfg'), haproxyConfig({ mqttPort: state.mqttPort, httpPort: state.httpPort, brokers, webs, statsSocket }));
    await launch(state, children, o, { name: 'haproxy', role: 'haproxy', env: { ...common }, argv: [o.haproxyBin ?? (existsSync('/usr/sbin/haproxy') ? '/usr/sbin/haproxy' : 'haproxy'), '-db', '-f', join(runDir, 'haproxy.cfg')] });
    await spawnAll([
      ...Array.from({ length: nIngest }, (_, i) => ({
        name: `ingest-${i + 1}`, role: 'ingest' as const,
        env: { ...common, PULSEHUB_BROKER_URL: lbMqtt, PULSEHUB_INGEST_ID: `pulsehub-ingest-${i + 1}`, ...(nIngest > 1 ? { PULSEHUB_INGEST_SHARE_GROUP: 'ingest' } : {}) },
      })),
      ...webs.map((w) => ({ ...w, role: 'web' as const, env: { ...common, PULSEHUB_HTTP_PORT: String(w.port), PULSEHUB_BROKER_URL: lbMqtt } })),
    ]);
    await waitUntil(async () => (await cluster.servers().catch(() => [])).filter((s) => s.status.startsWith('UP')).length === nBrokers + nWebs, 15_000, 'HAProxy to see every node up');
    return cluster;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

function makeCluster(state: ClusterState, children: Map<string, ChildProcess>, o: ClusterOptions): Cluster {
  const tokens = createTokenService({ current: { kid: 'k1', secret: state.secret }, previous: [] });
  const node = (name: string) => {
    const n = state.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node "${name}" (nodes: ${state.nodes.map((x) => x.name).join(', ')})`);
    return n;
  };
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= stopClusterState(state, o.runDir === undefined && !o.keepRunDir));
  return {
    state,
    mqtt: { host: '127.0.0.1', port: state.mqttPort, url: `mqtt://127.0.0.1:${state.mqttPort}` },
    http: { host: '127.0.0.1', port: state.httpPort, url: `http://127.0.0.1:${state.httpPort}` },
    node,
    mint: async (m) => (await tokens.mint(m)).token,
    kill: async (name, signal = 'SIGTERM') => {
      await stopPid(node(name), state.runDir, signal);
      writeState(state);
    },
    restart: async (name) => {
      const n = node(name);
      if (isAlive(n.pid)) throw new Error(`${name} is still running (pid ${n.pid})`);
      await launch(state, children, o, n);
    },
    servers: () => haproxyServers(state.statsSocket),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** The environment of every PulseHub node: this one's, minus any PulseHub configuration. */
function nodeEnv(state: ClusterState, o: ClusterOptions): Record<string, string> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => v !== undefined && !/^(PULSEHUB_|DATABASE_URL$|REDIS_URL$|LOG_LEVEL$)/.test(k))) as Record<string, string>;
  return {
    ...inherited,
    PULSEHUB_MODE: 'production', DATABASE_URL: state.database.url, REDIS_URL: state.redisUrl,
    PULSEHUB_JWT_SECRET: state.secret, PULSEHUB_JWT_KID: 'k1', PULSEHUB_DATA_DIR: join(state.runDir, 'data'),
    PULSEHUB_MQTT_HOST: '127.0.0.1', PULSEHUB_HTTP_HOST: '127.0.0.1', LOG_LEVEL: o.logLevel ?? 'info',
    ...o.env, [MARK]: state.runDir,
  };
}

interface LaunchSpec {
  name: string;
  role: ClusterRole;
  port?: number;
  argv: readonly string[];
  env: Record<string, string>;
}

/** Starts one process, its stdout and stderr appended to `<name>.log`; resolves once it is up. */
async function launch(state: ClusterState, children: Map<string, ChildProcess>, o: ClusterOptions, spec: LaunchSpec): Promise<void> {
  const log = join(state.runDir, `${spec.name}.log`);
  const from = existsSync(log) ? readFileSync(log).length : 0;
  const fd = openSync(log, 'a');
  const [cmd, ...args] = spec.argv;
  const child = spawn(cmd!, args, { cwd: REPO, env: spec.env, stdio: ['ignore', fd, fd], detached: o.detached ?? false });
  closeSync(fd);
  if (o.detached) child.unref();
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited (${signal ?? code})`));
  child.once('error', (err) => (exited = err.message));
  await new Promise<void>((r) => child.once('spawn', r).once('error', () => r()));
  const existing = state.nodes.find((n) => n.name === spec.name);
  if (existing) existing.pid = child.pid ?? -1;
  else state.nodes.push({ name: spec.name, role: spec.role, pid: child.pid ?? -1, log, argv: spec.argv, env: spec.env, ...(spec.port === undefined ? {} : { port: spec.port }) });
  children.set(spec.name, child);
  writeState(state);
  const tail = () => readFileSync(log, 'utf8').slice(from);
  // PulseHub nodes print one "PulseHub …" line when they serve; HAProxy is up when its socket answers.
  const ready = spec.role === 'haproxy'
    ? async () => (await haproxyServers(state.statsSocket).then(() => true, () => false))
    : () => /^PulseHub /m.test(tail());
  await waitUntil(async () => {
    if (exited) throw new Error(`${spec.name} ${exited}:\n${tail().slice(-2000)}`);
    return ready();
  }, o.startTimeoutMs ?? 30_000, `${spec.name} to start (log: ${log})`);
}

function writeState(state: ClusterState): void {
  writeFileSync(join(state.runDir, STATE_FILE), JSON.stringify(state, null, 2), { mode: 0o600 });
}

export function readClusterState(runDir: string): ClusterState | undefined {
  const file = join(resolve(runDir), STATE_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClusterState) : undefined;
}

/** Stops every process of the cluster by pid (web and ingest first, HAProxy last), drops its database and Redis data. */
export async function stopClusterState(state: ClusterState, removeRunDir = false): Promise<void> {
  const order: ClusterRole[] = ['web', 'ingest', 'broker', 'haproxy'];
  for (const role of order) {
    await Promise.all(state.nodes.filter((n) => n.role === role).map((n) => stopPid(n, state.runDir, 'SIGTERM')));
  }
  if (state.redisUrl) await releaseRedisDb(state.redisUrl, state.runDir).catch(() => {});
  await dropDatabase(state.database).catch(() => {});
  rmSync(join(state.runDir, STATE_FILE), { force: true });
  rmSync(join(state.runDir, 'cluster.env'), { force: true });
  rmSync(join(state.runDir, 'data'), { recursive: true, force: true });
  if (removeRunDir) rmSync(state.runDir, { recursive: true, force: true });
}

/** A process of this cluster, by pid: /proc must show our mark in its environment (pids are reused). */
function ours(pid: number, runDir: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`${MARK}=${runDir}`);
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped) counts as gone.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function stopPid(node: ClusterNode, runDir: string, signal: NodeJS.Signals): Promise<void> {
  if (node.pid <= 0 || !isAlive(node.pid) || !ours(node.pid, runDir)) return;
  process.kill(node.pid, signal);
  const gone = await waitUntil(() => !isAlive(node.pid), 12_000, `${node.name} to exit`).then(() => true, () => false);
  if (!gone && isAlive(node.pid)) {
    process.kill(node.pid, 'SIGKILL');
    await waitUntil(() => !isAlive(node.pid), 5_000, `${node.name} to exit after SIGKILL`);
  }
}

async function createDatabase(adminUrl: string): Promise<ClusterState['database']> {
  const name = `pulsehub_cluster_${randomBytes(5).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return { name, url: u.toString(), adminUrl };
}

async function dropDatabase(db: ClusterState['database']): Promise<void> {
  const admin = postgres(db.adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${db.name} with (force)`);
  } finally {
    await admin.end();
  }
}

/**
 * Broker sessions (aedes-persistence-redis) have no key prefix: each cluster takes a Redis
 * database index of its own, 10..15, one that is empty, claimed with SET NX.
 */
async function claimRedisDb(baseUrl: string, runDir: string): Promise<string> {
  for (let db = 10; db <= 15; db++) {
    const url = new URL(baseUrl);
    url.pathname = `/${db}`;
    const redis = new Redis(url.toString(), { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      if ((await redis.set(CLAIM_KEY, runDir, 'NX')) === 'OK') {
        if ((await redis.dbsize()) === 1) return url.toString();
        await redis.del(CLAIM_KEY); // someone else's data without a claim: leave it alone
      }
    } finally {
      redis.disconnect();
    }
  }
  throw new Error('no free Redis database index in 10..15 (each running cluster takes one; pulsehub cluster down frees it)');
}

async function releaseRedisDb(url: string, runDir: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    if ((await redis.get(CLAIM_KEY)) === runDir) await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/** Ports free on loopback now (all held open together, so they differ). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((r, j) => {
    const s = createServer().listen(0, '127.0.0.1', () => r(s)).once('error', j);
  })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function waitUntil(fn: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const defaultRunDir = (cwd = process.cwd()) => join(cwd, 'data', 'cluster');
