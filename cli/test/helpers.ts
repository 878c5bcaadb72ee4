import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

// A hub in-process, LiveClient, waitFor, certificates and Chromium: @pulsehub/testkit.
// What is left here runs the `pulsehub` command itself.

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
