import { isSpoolError } from '@pulsehub/spool';
import { isBleGatewayError } from '../errors.js';
import { parseArgs, USAGE } from './args.js';
import { pair } from './pair.js';
import { run } from './run.js';
import { scan } from './scan.js';

/** Exit codes: 0 ok, 1 unexpected failure, 2 usage or configuration, 3 Bluetooth unavailable, 4 hub refused. */
export const EXIT = { ok: 0, failure: 1, usage: 2, bluetooth: 3, hub: 4 } as const;

export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly stopSignal: Promise<unknown>;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const { command, flags } = parseArgs(argv);
  const str = (k: string): string | undefined => (typeof flags[k] === 'string' ? (flags[k] as string) : undefined);
  try {
    switch (command) {
      case 'run': {
        const config = str('config');
        if (!config) return usage(io, 'run needs --config <file>');
        await run(config, { env: io.env, stopSignal: io.stopSignal });
        return EXIT.ok;
      }
      case 'scan': {
        const seconds = Number(str('seconds') ?? 10);
        if (!Number.isFinite(seconds) || seconds <= 0) return usage(io, '--seconds must be a positive number');
        await scan(seconds, io.out);
        return EXIT.ok;
      }
      case 'pair': {
        const config = str('config');
        const user = str('user');
        const profile = str('profile');
        if (!config || !user || !profile) return usage(io, 'pair needs --config, --user and --profile');
        const address = str('address');
        const name = str('name');
        const deviceId = str('device-id');
        const token = str('token');
        await pair({
          configPath: config,
          userId: user,
          profile,
          ...(address ? { address } : {}),
          ...(name ? { name } : {}),
          ...(deviceId ? { deviceId } : {}),
          ...(token ? { token } : {}),
          scan: flags['no-scan'] !== true,
          scanSeconds: Number(str('seconds') ?? 30),
          write: flags.write === true,
          env: io.env,
          out: io.out,
        });
        return EXIT.ok;
      }
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        return usage(io, `unknown command "${command}"`);
    }
  } catch (err) {
    // known failures are explained in one message, without a stack trace
    if (isBleGatewayError(err)) {
      io.err(`pulsehub-gateway: ${err.message}`);
      if (err.code === 'PH_BLE_UNAVAILABLE') return EXIT.bluetooth;
      if (err.code === 'PH_GW_PAIR_FAILED') return EXIT.hub;
      if (err.code === 'PH_GW_CONFIG_INVALID' || err.code === 'PH_GW_CONFIG_UNREADABLE') return EXIT.usage;
      return EXIT.failure;
    }
    if (isSpoolError(err)) {
      io.err(`pulsehub-gateway: ${err.message}`);
      return err.code === 'PH_GW_QUEUE_LOCKED' ? EXIT.usage : EXIT.failure;
    }
    io.err(`pulsehub-gateway: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return EXIT.failure;
  }
}

function usage(io: Io, problem: string): number {
  io.err(`pulsehub-gateway: ${problem}\n\n${USAGE}`);
  return EXIT.usage;
}

/** The process entry (bin/pulsehub-gateway.mjs runs this file through tsx). */
export async function cli(): Promise<void> {
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const code = await main(process.argv.slice(2), {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    env: process.env,
    stopSignal,
  });
  process.exit(code);
}
