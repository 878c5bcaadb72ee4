/**
 * A bench child process that talks in JSON lines: stdout carries one JSON object a line, stdin
 * takes commands. Keeps the children (devices, boards, the hand-built stack's parts) off the
 * orchestrator's event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface JsonChild {
  proc: ChildProcess;
  pid: number;
  /** Resolves with the first line (seen from now on) for which `pred` holds. */
  next<T = Record<string, unknown>>(pred: (line: Record<string, unknown>) => boolean, what: string): Promise<T>;
  send(line: unknown): void;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
}

/** Runs `script` (a .ts file) with tsx in a Node process of its own. */
export function spawnJsonChild(script: string, args: string[] = [], opts: { nodeFlags?: string[]; env?: NodeJS.ProcessEnv } = {}): JsonChild {
  const proc = spawn(process.execPath, [...(opts.nodeFlags ?? []), '--import', 'tsx', '--conditions=source', script, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: opts.env ?? process.env });
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let exited = false;
  const exit = new Promise<void>((r) => proc.once('exit', () => ((exited = true), r())));
  let buf = '';
  proc.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        process.stderr.write(`${text}\n`);
        continue;
      }
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.pred(line)) waiters.splice(i, 1)[0]!.resolve(line);
      }
    }
  });
  return {
    proc,
    pid: proc.pid!,
    next: <T>(pred: (l: Record<string, unknown>) => boolean, what: string) => new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error(`${script} exited before ${what}`));
      waiters.push({ pred, resolve: resolve as (l: Record<string, unknown>) => void });
      void exit.then(() => reject(new Error(`${script} exited before ${what}`)));
    }),
    send: (line) => proc.stdin!.write(`${JSON.stringify(line)}\n`),
    kill: async () => {
      if (!exited) proc.kill('SIGKILL');
      await exit;
    },
    stop: async () => {
      if (!exited) proc.kill('SIGTERM');
      await exit;
    },
  };
}

/** Reads JSON-line commands on stdin (the child side). */
export function onCommands(handler: (cmd: Record<string, unknown>) => void): void {
  let buf = '';
  process.stdin.on('data', (c: Buffer) => {
    buf += c.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (text.trim()) handler(JSON.parse(text) as Record<string, unknown>);
    }
  });
}

export const emit = (line: unknown): void => void process.stdout.write(`${JSON.stringify(line)}\n`);
