/**
 * The error catalog: every `PH_*` code of every package (a test scans the sources for codes
 * missing here; docs/errors.md is generated from it with `pnpm docs:errors`). Codes are stable:
 * callers match on `err.code`, never on message text, and a retired code is kept, never reused.
 * `status` is the HTTP status a code is answered with; codes never sent over HTTP (broker,
 * gateway) carry the status that classifies them the same way.
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
  PH_INGEST_UNSTORABLE_TEXT: { status: 422, message: 'A string holds a NUL or a lone UTF-16 surrogate, which the database cannot store' },
  PH_INGEST_UNSTORABLE_INSTANT: { status: 422, message: 'An instant is outside the years 1900..9999 (UTC) or has a UTC offset beyond ±15:59' },
  PH_INGEST_STORE_REJECTED: { status: 422, message: 'The database refused this reading (kept with its error instead of retrying it forever)' },
  PH_INGEST_ADAPTER_FAILED: { status: 500, message: 'The adapter threw an unexpected error on this payload (kept for replay after a fix)' },
  // storage
  PH_STORE_UNAVAILABLE: { status: 503, message: 'The database is unavailable' },
  PH_STORE_LOCKED: { status: 500, message: 'The data directory is in use by another PulseHub process' },
  PH_STORE_NOT_FOUND: { status: 404, message: 'Not found' },
  // canonical event checked against the metric catalog (reasons of `checkAgainstCatalog`)
  PH_EVENT_UNKNOWN_COMPONENT: { status: 422, message: 'The event names a component or series its metric does not have' },
  PH_EVENT_MISSING_COMPONENT: { status: 422, message: 'The event lacks a component its metric requires' },
  PH_EVENT_WRONG_UNIT: { status: 422, message: "A value is not in its component's canonical unit" },
  PH_EVENT_OUT_OF_RANGE: { status: 422, message: "A value is outside its component's catalog range" },
  PH_EVENT_WRONG_TIME_KIND: { status: 422, message: 'The event has an instant where its metric needs an interval, or the reverse' },
  // MQTT broker: reasons a connection or packet is refused (logged and counted, never HTTP)
  PH_BROKER_TOO_MANY_CONNECTIONS: { status: 503, message: 'The broker is at its connection limit (CONNACK server unavailable)' },
  PH_BROKER_KEEPALIVE_OUT_OF_BOUNDS: { status: 400, message: 'The CONNECT keepalive is outside the bounds the broker allows' },
  PH_BROKER_CLIENT_ID_TAKEN: { status: 409, message: 'The client id is held by a connection of another principal' },
  PH_BROKER_PACKET_TOO_LARGE: { status: 413, message: 'The MQTT packet is larger than the broker maximum packet size' },
  PH_BROKER_MALFORMED_PACKET: { status: 400, message: 'The MQTT packet has a remaining length its type does not allow' },
  // web
  PH_WEB_BAD_REQUEST: { status: 400, message: 'The request is invalid' },
  PH_WEB_NOT_FOUND: { status: 404, message: 'Not found' },
  PH_WEB_CONFLICT: { status: 409, message: 'The resource exists and belongs to someone else, or is in a state this request may not change' },
  PH_WEB_PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is larger than the limit' },
  PH_WEB_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body has a content type the API does not accept (send application/json)' },
  PH_SESSION_ENDED: { status: 409, message: 'The class session has ended; its record can no longer change' },
  PH_WEB_NOT_MANUAL: { status: 409, message: 'The reading came from a device: only a manual entry can be edited or deleted' },
  PH_WEB_INGEST_UNAVAILABLE: { status: 503, message: 'This web process has no ingest pipeline to take manual entries (run pulsehub start)' },
  PH_WEB_ALREADY_RESOLVED: { status: 409, message: 'The pending reading was already assigned or discarded' },
  PH_WEB_CONFIRMATION_REQUIRED: { status: 428, message: 'Erasing your own data needs a confirmation token (POST /api/users/:id/erasure-confirmation) in X-Erasure-Confirmation' },
  // live gateway
  PH_LIVE_BAD_MESSAGE: { status: 400, message: 'The WebSocket message is not valid JSON of the live protocol' },
  PH_LIVE_NOT_AUTHENTICATED: { status: 401, message: 'Authenticate first' },
  PH_LIVE_SUBSCRIPTION_LIMIT: { status: 429, message: 'The subscribe would follow more athletes than one connection may' },
  // outbound (issue 14): webhooks and the analyzer sync
  PH_WEBHOOK_URL_INVALID: { status: 400, message: 'The webhook URL is not an http(s) URL, or carries credentials' },
  PH_WEBHOOK_ADDRESS_REFUSED: { status: 422, message: 'The webhook host is (or resolves to) a loopback, link-local, private or otherwise non-public address and is not allowlisted' },
  PH_ANALYZER_NOT_CONFIGURED: { status: 503, message: 'No analyzer is configured (PULSEHUB_ANALYZER_URL)' },
  PH_ANALYZER_NO_CONSENT: { status: 409, message: 'The person has not consented to sharing with the analyzer' },
  PH_ANALYZER_ANSWER_INVALID: { status: 502, message: 'The analyzer answered with something other than {insights:[…]}' },
  PH_ANALYZER_FAILED: { status: 502, message: 'The analyzer could not be reached or answered with an error' },
  PH_ANALYZER_SYNC_RUNNING: { status: 409, message: 'A sync for this person is already running' },
  // any side
  PH_INTERNAL: { status: 500, message: 'An unexpected error (the details are in the server log, never in the answer)' },
  // BLE gateway: decoding (a buffer that cannot be read yields one of these, never a wrong number)
  PH_BLE_TRUNCATED: { status: 422, message: 'The characteristic value is shorter than its flags say' },
  PH_BLE_INCONSISTENT: { status: 422, message: 'The characteristic value contradicts itself or its specification (reserved value, impossible range)' },
  PH_BLE_UNSUPPORTED: { status: 415, message: 'No decoder for this characteristic or advertisement' },
  PH_BLE_MEASUREMENT_UNSUCCESSFUL: { status: 422, message: 'The sensor reports that the measurement was unsuccessful' },
  // BLE gateway: runtime
  PH_BLE_UNAVAILABLE: { status: 503, message: 'Bluetooth is not available (no adapter, no BlueZ, or no permission)' },
  PH_BLE_CONNECT_TIMEOUT: { status: 504, message: 'The peripheral did not connect in time' },
  PH_BLE_PROFILE_MISSING: { status: 422, message: 'The peripheral does not expose the service or characteristic its profile needs' },
  // BLE gateway: configuration, queue, hub API
  PH_GW_CONFIG_INVALID: { status: 500, message: 'The gateway configuration is invalid' },
  PH_GW_CONFIG_UNREADABLE: { status: 500, message: 'The gateway configuration file cannot be read or is not JSON' },
  PH_GW_QUEUE_RECORD_TOO_LARGE: { status: 413, message: 'The record is larger than the queue allows' },
  PH_GW_QUEUE_CLOSED: { status: 503, message: 'The queue is closed' },
  PH_GW_QUEUE_LOCKED: { status: 500, message: 'The queue directory is in use by another process' },
  PH_GW_PAIR_FAILED: { status: 502, message: 'The hub refused or failed the device registration' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
/** The codes of one area, e.g. `CodesOf<'PH_EVENT_'>`. */
export type CodesOf<Prefix extends string> = Extract<ErrorCode, `${Prefix}${string}`>;

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
