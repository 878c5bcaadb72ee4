import { pino, type Logger } from 'pino';

export type { Logger };

/** The gateway logs JSON lines to stdout (journald keeps them); tests pass a silent logger. */
export function createLogger(level: string = 'info'): Logger {
  return pino({ name: 'pulsehub-gateway', level });
}

export const silentLogger: Logger = pino({ level: 'silent' });
