#!/usr/bin/env node
// Runs the TypeScript entry with tsx (`--conditions=source`, as everywhere in the workspace).
// tsx is loaded in this very process (`--import`), not through its CLI: the CLI would run
// the gateway in a child process, and signals from systemd (SIGTERM) or a SIGKILL would hit
// the wrapper instead of the gateway.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const tsx = pathToFileURL(require.resolve('tsx')).href;
const entry = fileURLToPath(new URL('../src/cli/entry.ts', import.meta.url));

const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, entry, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
