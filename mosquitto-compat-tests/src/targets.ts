import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBroker, parseBrokerPolicy, policyOptions } from '@pulsehub/broker';
import { DENIED_TOPIC, type Target } from './target.js';

/**
 * The test policy both targets run with, kept equivalent on purpose: anonymous clients
 * allowed (lab mode), nothing persisted to disk, and one topic refused for subscription
 * (a wider filter that overlaps it is granted and the topic filtered, as Mosquitto does).
 */
export const TEST_POLICY = parseBrokerPolicy({
  allowAnonymous: true,
  // Like Mosquitto: `#` is granted and the denied topic filtered at delivery; `test/nosubscribe` itself gets 0x80.
  partialDeny: 'filter',
  rules: [
    { effect: 'deny', action: 'subscribe', topic: DENIED_TOPIC },
    // Lab topics under `$ct/` for the `$`-topic wildcard cases (Mosquitto's `#` ACL does not reach `$` topics either).
    { effect: 'allow', action: 'all', topic: '$ct/#' },
  ],
});

/** PulseHub's broker in-process on an ephemeral port, with the test policy. */
export async function startPulseHub(): Promise<Target> {
  const broker = await createBroker({ ...policyOptions(TEST_POLICY), connectTimeoutMs: 5000, sysIntervalMs: 0, shutdownGraceMs: 200, rateLimits: false });
  const { port, host } = await broker.listen({ port: 0, host: '127.0.0.1' });
  return { name: 'pulsehub', host, port, deniedTopic: DENIED_TOPIC, close: () => broker.close() };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The equivalent of TEST_POLICY in Mosquitto's configuration language. */
export function mosquittoConfig(port: number, aclFile: string): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    `acl_file ${aclFile}`,
    'max_keepalive 65535',
    'max_queued_messages 1000',
    'max_inflight_messages 20',
    'log_dest stderr',
    'log_type error',
    '',
  ].join('\n');
}

/** ACL lines before any `user` line apply to anonymous clients. */
export const MOSQUITTO_ACL = [`topic deny ${DENIED_TOPIC}`, 'topic readwrite #', 'topic readwrite $ct/#', ''].join('\n');

/** A private Mosquitto (`mosquitto -c <generated conf>`) on an ephemeral port; stopped by close(). */
export async function startMosquitto(binary = 'mosquitto'): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'ph-mosq-'));
  const aclFile = join(dir, 'acl');
  const confFile = join(dir, 'mosquitto.conf');
  // Started as root, Mosquitto drops to its own user before reading the ACL file.
  chmodSync(dir, 0o755);
  writeFileSync(aclFile, MOSQUITTO_ACL);
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    writeFileSync(confFile, mosquittoConfig(port, aclFile));
    const child = spawn(binary, ['-c', confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      await waitListening(child, port, () => stderr);
      return {
        name: 'mosquitto',
        host: '127.0.0.1',
        port,
        deniedTopic: DENIED_TOPIC,
        close: async () => {
          await stop(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastErr = err;
      await stop(child);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastErr;
}

async function waitListening(child: ChildProcess, port: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${stderr()}`);
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on ${port}: ${stderr()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
