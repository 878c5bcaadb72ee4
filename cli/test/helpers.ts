import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import pino from 'pino';
import { generateSigningKey } from '@pulsehub/auth';
import type { ServerMessage } from '@pulsehub/contracts';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { loadConfig, startHub, type Hub } from '@pulsehub/cli';

export interface TestHub extends AsyncDisposable {
  hub: Hub;
  db: TestDatabase;
  close(): Promise<void>;
}

/** A whole hub on ephemeral ports with a database of its own (Postgres unless told). */
export async function startTestHub(kind: 'postgres' | 'pglite' = 'postgres', env: Record<string, string> = {}): Promise<TestHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-test-'));
  const db = await createTestDatabase(kind);
  const config = loadConfig({ PULSEHUB_DATA_DIR: dataDir, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0', PULSEHUB_SILENCE_MS: '2000', ...env });
  const hub = await startHub({ config, keyring: { current: generateSigningKey(), previous: [] }, storeTarget: db.target, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  const close = async () => {
    await hub.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { hub, db, close, [Symbol.asyncDispose]: close };
}

export async function connectDevice(hub: Hub, deviceId: string, token: string): Promise<MqttClient> {
  const client = mqtt.connect({ host: hub.mqtt.host, port: hub.mqtt.port, username: deviceId, password: token, clientId: deviceId, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/** A live-gateway client that records every message. */
export class LiveClient {
  readonly messages: ServerMessage[] = [];
  private waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as ServerMessage;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
    this.closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  }

  static async open(hub: Hub, token: string): Promise<LiveClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${hub.http.port}/live?token=${encodeURIComponent(token)}`);
    const c = new LiveClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return c;
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** The first message (already received or future) that matches. */
  next<T extends ServerMessage['type']>(type: T, pred: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true, timeoutMs = 5000): Promise<Extract<ServerMessage, { type: T }>> {
    const match = (m: ServerMessage) => m.type === type && pred(m as Extract<ServerMessage, { type: T }>);
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen as Extract<ServerMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${type} message within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((x) => x.type))}`)), timeoutMs);
      this.waiters.push({ pred: match, resolve: (m) => (clearTimeout(t), resolve(m as Extract<ServerMessage, { type: T }>)) });
    });
  }

  close(): void {
    this.ws.close();
  }
}

export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const MAIN = join(import.meta.dirname, '../src/main.ts');

export interface PulsehubProcess {
  proc: ChildProcess;
  /** The first stdout line starting with "PulseHub " (what it serves, where). */
  line: string;
}

/** Runs `pulsehub <command>` as a process of its own and resolves once it says it is up. */
export function spawnPulsehub(command: string, env: Record<string, string>): Promise<PulsehubProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', MAIN, command], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('PulseHub '));
      if (line) resolve({ proc, line });
    });
    proc.once('exit', (code) => reject(new Error(`pulsehub ${command} exited with ${code}: ${err}`)));
  });
}
