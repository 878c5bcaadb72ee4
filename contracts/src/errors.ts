/**
 * The error catalog. Codes are stable: callers match on `err.code`, never on message text,
 * and a retired code is never reused.
 */
export const ERROR_CODES = {
  // configuration
  PH_CONFIG_INVALID: { status: 500, message: 'Configuration is invalid' },
  PH_CONFIG_SECRET_MISSING: { status: 500, message: 'A required secret is missing in production mode' },
  // auth
  PH_AUTH_TOKEN_MISSING: { status: 401, message: 'A token is required' },
  PH_AUTH_TOKEN_INVALID: { status: 401, message: 'The token is malformed, expired, or not signed by this hub' },
  PH_AUTH_TOKEN_REVOKED: { status: 401, message: 'The token has been revoked' },
  PH_AUTH_USERNAME_MISMATCH: { status: 401, message: 'The MQTT username does not match the token subject' },
  PH_AUTH_FORBIDDEN: { status: 403, message: 'The principal may not do this' },
  // ingest: reasons a payload became a dead letter
  PH_INGEST_BAD_TOPIC: { status: 400, message: 'The topic is not a users/<id>/events topic' },
  PH_INGEST_PAYLOAD_NOT_JSON: { status: 400, message: 'The payload is not valid JSON (UTF-8)' },
  PH_INGEST_PAYLOAD_TOO_LARGE: { status: 413, message: 'The payload is larger than the ingest limit' },
  PH_INGEST_SCHEMA_INVALID: { status: 400, message: 'The payload does not match the adapter schema' },
  PH_INGEST_UNKNOWN_ADAPTER: { status: 400, message: 'The payload names an adapter that does not exist' },
  PH_INGEST_ADAPTER_NOT_ALLOWED: { status: 403, message: 'The device may not use the adapter the payload names' },
  PH_INGEST_OUT_OF_RANGE: { status: 422, message: 'A value is outside its physiological range' },
  PH_INGEST_USER_MISMATCH: { status: 403, message: 'The payload names a user other than the topic' },
  PH_INGEST_UNKNOWN_UNIT: { status: 422, message: "A value's unit is unknown or cannot be converted to the metric's canonical unit" },
  PH_INGEST_UNKNOWN_COMPONENT: { status: 422, message: 'A value names a component its metric does not have' },
  PH_INGEST_ADAPTER_FAILED: { status: 500, message: 'The adapter threw an unexpected error on this payload (kept for replay after a fix)' },
  // storage
  PH_STORE_UNAVAILABLE: { status: 503, message: 'The database is unavailable' },
  PH_STORE_LOCKED: { status: 500, message: 'The data directory is in use by another PulseHub process' },
  PH_STORE_NOT_FOUND: { status: 404, message: 'Not found' },
  // web
  PH_WEB_BAD_REQUEST: { status: 400, message: 'The request is invalid' },
  PH_WEB_NOT_FOUND: { status: 404, message: 'Not found' },
  // live gateway
  PH_LIVE_BAD_MESSAGE: { status: 400, message: 'The WebSocket message is not valid JSON of the live protocol' },
  PH_LIVE_NOT_AUTHENTICATED: { status: 401, message: 'Authenticate first' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PulseHubError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown; details?: unknown }) {
    super(message ?? ERROR_CODES[code].message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PulseHubError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = options?.details;
  }
}

export function isPulseHubError(err: unknown, code?: ErrorCode): err is PulseHubError {
  return err instanceof PulseHubError && (code === undefined || err.code === code);
}
