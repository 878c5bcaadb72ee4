import { ERROR_CODES, type CodesOf } from '@pulsehub/contracts';

export type BleErrorCode = CodesOf<'PH_BLE_'> | CodesOf<'PH_GW_'>;

/**
 * The gateway's codes: its part of the one catalog (`ERROR_CODES` in contracts), code → meaning.
 * Codes are stable: callers match on `err.code`, never on message text.
 */
export const BLE_ERROR_CODES = Object.fromEntries(
  Object.entries(ERROR_CODES)
    .filter(([code]) => code.startsWith('PH_BLE_') || code.startsWith('PH_GW_'))
    .map(([code, entry]) => [code, entry.message]),
) as Record<BleErrorCode, string>;

export class BleGatewayError extends Error {
  readonly code: BleErrorCode;
  readonly details: unknown;

  constructor(code: BleErrorCode, message?: string, options?: { cause?: unknown; details?: unknown }) {
    super(message ?? BLE_ERROR_CODES[code], options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BleGatewayError';
    this.code = code;
    this.details = options?.details;
  }
}

export function isBleGatewayError(err: unknown, code?: BleErrorCode): err is BleGatewayError {
  return err instanceof BleGatewayError && (code === undefined || err.code === code);
}
