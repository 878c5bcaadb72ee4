import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '@pulsehub/cli';
import { waitFor } from './wait.js';

/**
 * A Postgres and a Redis of one test's own, so the test may stop and restart them: the shared
 * servers on 5432 and 6379 serve every other test file running next to it.
 */
const PG_BIN = process.env.PULSEHUB_PG_BIN ?? execFileSync('pg_config', ['--bindir']).toString().trim();

export class PrivatePostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'pulsehub-pg-'));
  readonly data = join(this.dir, 'data');
  port = 0;
  private readonly asPostgres = process.getuid?.() === 0;

  private run(bin: string, args: string[]): void {
    const [cmd, argv] = this.asPostgres ? ['runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]] : [join(PG_BIN, bin), args];
    execFileSync(cmd, argv, { stdio: 'pipe' });
  }

  async init(): Promise<void> {
    if (this.asPostgres) chownSync(this.dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
    this.run('initdb', ['-D', this.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    [this.port] = (await freePorts(1)) as [number];
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): void {
    this.run('pg_ctl', ['-D', this.data, '-w', '-l', join(this.dir, 'log'), '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, 'start']);
  }

  stop(): void {
    this.run('pg_ctl', ['-D', this.data, '-w', '-m', 'fast', 'stop']);
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      // not running
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A server process of one test's own in a temporary directory: `stop` sends SIGTERM (Redis
 * completes its append-only file, Mosquitto saves its persistence, clients see the connection
 * drop) and waits for the exit; `destroy` also removes the directory.
 */
abstract class PrivateProcess {
  readonly dir: string;
  port = 0;
  protected proc: ChildProcess | undefined;

  constructor(prefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `redis-server` on a free port, with an append-only file so a restart keeps the sessions. */
export class PrivateRedis extends PrivateProcess {
  constructor() {
    super('pulsehub-redis-');
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) [this.port] = (await freePorts(1)) as [number];
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    await waitFor(() => out.includes('Ready to accept connections'), { timeout: 10_000, what: 'redis-server to start' });
  }
}

/**
 * A `mosquitto` of one test's own on a free port (anonymous), so the test may stop and restart
 * it: the shared one on 1883 serves every other test. Stands in for the broker people already
 * have (the Home Assistant bridge's tests). Persistent: retained messages and the queued
 * messages of a `clean: false` subscriber survive a restart (saved on SIGTERM).
 */
export class PrivateMosquitto extends PrivateProcess {
  /** `tls`: an mqtts listener with this certificate and key; `user`: one account, anonymous refused. */
  constructor(private readonly o: { tls?: { cert: string; key: string }; user?: { username: string; password: string } } = {}) {
    super('pulsehub-mosquitto-');
  }

  get url(): string {
    return `${this.o.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) [this.port] = (await freePorts(1)) as [number];
    const conf = join(this.dir, 'mosquitto.conf');
    const lines = [`listener ${this.port} 127.0.0.1`, 'persistence true', `persistence_location ${this.dir}/`, 'max_queued_messages 100000'];
    if (process.getuid?.() === 0) lines.push('user root');
    if (this.o.tls) lines.push(`certfile ${this.o.tls.cert}`, `keyfile ${this.o.tls.key}`);
    if (this.o.user) {
      const file = join(this.dir, 'passwd');
      execFileSync('mosquitto_passwd', ['-b', '-c', file, this.o.user.username, this.o.user.password], { stdio: 'pipe' });
      lines.push('allow_anonymous false', `password_file ${file}`);
    } else {
      lines.push('allow_anonymous true');
    }
    writeFileSync(conf, `${lines.join('\n')}\n`);
    const proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    await waitFor(() => out.includes('running') || proc.exitCode !== null, { timeout: 10_000, what: 'mosquitto to start' });
    if (proc.exitCode !== null) throw new Error(`mosquitto exited: ${out}`);
  }
}
