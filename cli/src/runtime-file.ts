import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Keyring } from '@pulsehub/auth';
import type { HubConfig } from './config.js';

/**
 * `<dataDir>/ports.json` (mode 0600): the ports a running `pulsehub start` actually bound and
 * the key it signs with. The CLI's own commands (simulate, deadletters, port, token) read it,
 * so they reach the hub even when it had to take another port than the configured one.
 * Removed on shutdown; a file left by a killed hub is recognised as stale by its pid.
 */
export const RUNTIME_FILE = 'ports.json';

const Endpoint = z.object({ host: z.string(), port: z.number().int().min(0).max(65535), configured: z.number().int(), moved: z.boolean() });
const RuntimePorts = z.object({
  pid: z.number().int(),
  startedAt: z.string(),
  kid: z.string().optional(),
  mqtt: Endpoint,
  http: Endpoint,
  mqtts: z.object({ port: z.number().int() }).optional(),
});
export type RuntimePorts = z.infer<typeof RuntimePorts>;
export type Endpoint = z.infer<typeof Endpoint>;

export function runtimeFilePath(dataDir: string): string {
  return join(dataDir, RUNTIME_FILE);
}

/** Written atomically (temporary file + rename), readable by the owner only. */
export function writeRuntimePorts(dataDir: string, ports: RuntimePorts): string {
  mkdirSync(dataDir, { recursive: true });
  const path = runtimeFilePath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(ports, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return path;
}

/** Removes the file if this process wrote it (another hub may have started on the same data dir since). */
export function removeRuntimePorts(dataDir: string, pid = process.pid): void {
  const current = readRuntimeFile(dataDir);
  if (current?.pid === pid) rmSync(runtimeFilePath(dataDir), { force: true });
}

function readRuntimeFile(dataDir: string): RuntimePorts | undefined {
  let text: string;
  try {
    text = readFileSync(runtimeFilePath(dataDir), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = RuntimePorts.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running hub's ports, or undefined when no hub runs on this data dir (no file, or a stale one). */
export function readRuntimePorts(dataDir: string): RuntimePorts | undefined {
  const r = readRuntimeFile(dataDir);
  return r && alive(r.pid) ? r : undefined;
}

const reachable = (host: string) => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);

/** Where the CLI reaches the hub: the ports it bound when it runs, else the configuration. */
export function hubAddresses(config: HubConfig): { mqtt: { host: string; port: number }; http: { host: string; port: number }; running: boolean } {
  const r = readRuntimePorts(config.dataDir);
  if (r) return { mqtt: { host: reachable(r.mqtt.host), port: r.mqtt.port }, http: { host: reachable(r.http.host), port: r.http.port }, running: true };
  return { mqtt: { host: reachable(config.mqtt.host), port: config.mqtt.port }, http: { host: reachable(config.http.host), port: config.http.port }, running: false };
}

/**
 * The keyring the CLI signs with: after `pulsehub keys rotate` the running hub may not have
 * loaded the new key yet; sign with the key it says it uses while the keyring still has it.
 */
export function keyringForRunningHub(config: HubConfig, keyring: Keyring): Keyring {
  const kid = readRuntimePorts(config.dataDir)?.kid;
  if (!kid || kid === keyring.current.kid) return keyring;
  const known = keyring.previous.find((k) => k.kid === kid);
  return known ? { current: known, previous: [keyring.current, ...keyring.previous.filter((k) => k.kid !== kid)] } : keyring;
}

/** One banner line per listener: "MQTT on 1884 — 1883 was taken" when a default port was busy. */
export function movedPortNotes(r: Pick<RuntimePorts, 'mqtt' | 'http'>): string[] {
  const notes: string[] = [];
  if (r.mqtt.moved) notes.push(`MQTT on ${r.mqtt.port} — ${r.mqtt.configured} was taken (another broker, such as Mosquitto?); the CLI's commands use ${r.mqtt.port}`);
  if (r.http.moved) notes.push(`Web on ${r.http.port} — ${r.http.configured} was taken; the CLI's commands use ${r.http.port}`);
  return notes;
}
