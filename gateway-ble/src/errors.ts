/**
 * The gateway's error catalog. Codes are stable: callers match on `err.code`, never on
 * message text, and a retired code is never reused.
 */
export const BLE_ERROR_CODES = {
  // decoding: a buffer that cannot be read yields one of these, never a wrong number
  PH_BLE_TRUNCATED: 'The characteristic value is shorter than its flags say',
  PH_BLE_INCONSISTENT: 'The characteristic value contradicts itself or its specification (reserved value, impossible range)',
  PH_BLE_UNSUPPORTED: 'No decoder for this characteristic or advertisement',
  PH_BLE_MEASUREMENT_UNSUCCESSFUL: 'The sensor reports that the measurement was unsuccessful',
  // runtime
  PH_BLE_UNAVAILABLE: 'Bluetooth is not available (no adapter, no BlueZ, or no permission)',
  PH_BLE_CONNECT_TIMEOUT: 'The peripheral did not connect in time',
  PH_BLE_PROFILE_MISSING: 'The peripheral does not expose the service or characteristic its profile needs',
  // configuration
  PH_GW_CONFIG_INVALID: 'The gateway configuration is invalid',
  PH_GW_CONFIG_UNREADABLE: 'The gateway configuration file cannot be read or is not JSON',
  // queue
  PH_GW_QUEUE_RECORD_TOO_LARGE: 'The record is larger than the queue allows',
  PH_GW_QUEUE_CLOSED: 'The queue is closed',
  PH_GW_QUEUE_LOCKED: 'The queue directory is in use by another gateway process',
  // hub API
  PH_GW_PAIR_FAILED: 'The hub refused or failed the device registration',
} as const;

export type BleErrorCode = keyof typeof BLE_ERROR_CODES;

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
