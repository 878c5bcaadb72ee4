import { ERROR_CODES, type CodesOf } from '@pulsehub/contracts';

/**
 * The queue's codes. They keep the names they had when the queue lived in the BLE gateway
 * (`PH_GW_QUEUE_*`): codes are stable and callers (the gateway's exit codes) match on them.
 */
export type SpoolErrorCode = CodesOf<'PH_GW_QUEUE_'>;

export class SpoolError extends Error {
  readonly code: SpoolErrorCode;
  readonly details: unknown;

  constructor(code: SpoolErrorCode, message?: string, options?: { details?: unknown }) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'SpoolError';
    this.code = code;
    this.details = options?.details;
  }
}

export function isSpoolError(err: unknown, code?: SpoolErrorCode): err is SpoolError {
  return err instanceof SpoolError && (code === undefined || err.code === code);
}
