import { describe, expect, it } from 'vitest';
import { ERROR_CODES, PulseHubError, isPulseHubError, type ErrorCode } from '@pulsehub/contracts';

/**
 * Codes are append-only: every code that ever shipped stays in the catalog with the same
 * meaning. Add new codes to this list when you add them to the catalog; never remove one.
 */
const SHIPPED: ErrorCode[] = [
  'PH_CONFIG_INVALID', 'PH_CONFIG_SECRET_MISSING',
  'PH_AUTH_TOKEN_MISSING', 'PH_AUTH_TOKEN_INVALID', 'PH_AUTH_TOKEN_REVOKED', 'PH_AUTH_USERNAME_MISMATCH', 'PH_AUTH_FORBIDDEN',
  'PH_INGEST_BAD_TOPIC', 'PH_INGEST_PAYLOAD_NOT_JSON', 'PH_INGEST_PAYLOAD_TOO_LARGE', 'PH_INGEST_SCHEMA_INVALID',
  'PH_INGEST_UNKNOWN_ADAPTER', 'PH_INGEST_ADAPTER_NOT_ALLOWED', 'PH_INGEST_OUT_OF_RANGE', 'PH_INGEST_USER_MISMATCH',
  'PH_INGEST_UNKNOWN_UNIT', 'PH_INGEST_UNKNOWN_COMPONENT', 'PH_INGEST_ADAPTER_FAILED',
  'PH_INGEST_UNSTORABLE_TEXT', 'PH_INGEST_UNSTORABLE_INSTANT', 'PH_INGEST_STORE_REJECTED',
  'PH_STORE_UNAVAILABLE', 'PH_STORE_LOCKED', 'PH_STORE_NOT_FOUND',
  'PH_WEB_BAD_REQUEST', 'PH_WEB_NOT_FOUND', 'PH_WEB_PAYLOAD_TOO_LARGE', 'PH_WEB_CONFLICT', 'PH_WEB_UNSUPPORTED_MEDIA_TYPE', 'PH_WEB_ALREADY_RESOLVED', 'PH_SESSION_ENDED',
  'PH_LIVE_BAD_MESSAGE', 'PH_LIVE_NOT_AUTHENTICATED', 'PH_LIVE_SUBSCRIPTION_LIMIT', 'PH_INTERNAL',
  'PH_EVENT_UNKNOWN_COMPONENT', 'PH_EVENT_MISSING_COMPONENT', 'PH_EVENT_WRONG_UNIT', 'PH_EVENT_OUT_OF_RANGE', 'PH_EVENT_WRONG_TIME_KIND',
  'PH_BROKER_TOO_MANY_CONNECTIONS', 'PH_BROKER_KEEPALIVE_OUT_OF_BOUNDS', 'PH_BROKER_CLIENT_ID_TAKEN', 'PH_BROKER_PACKET_TOO_LARGE', 'PH_BROKER_MALFORMED_PACKET',
  'PH_BLE_TRUNCATED', 'PH_BLE_INCONSISTENT', 'PH_BLE_UNSUPPORTED', 'PH_BLE_MEASUREMENT_UNSUCCESSFUL', 'PH_BLE_UNAVAILABLE', 'PH_BLE_CONNECT_TIMEOUT', 'PH_BLE_PROFILE_MISSING',
  'PH_GW_CONFIG_INVALID', 'PH_GW_CONFIG_UNREADABLE', 'PH_GW_QUEUE_RECORD_TOO_LARGE', 'PH_GW_QUEUE_CLOSED', 'PH_GW_QUEUE_LOCKED', 'PH_GW_PAIR_FAILED',
];

const entries = Object.entries(ERROR_CODES) as [ErrorCode, { status: number; message: string }][];

describe('error catalog', () => {
  it('still has every code that ever shipped', () => {
    for (const code of SHIPPED) expect(ERROR_CODES, code).toHaveProperty(code);
  });

  it.each(entries)('%s has a prefixed name, an HTTP error status and a message', (code, { status, message }) => {
    expect(code).toMatch(/^PH_[A-Z]+(?:_[A-Z0-9]+)*$/);
    expect(Number.isInteger(status)).toBe(true);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(600);
    expect(message.trim().length).toBeGreaterThan(5);
  });

  it('has unique codes (case-insensitively) and no two codes with the same message in one family', () => {
    const lower = entries.map(([code]) => code.toLowerCase());
    expect(new Set(lower).size).toBe(lower.length);
    const byFamily = new Map<string, string[]>();
    for (const [code, { message }] of entries) {
      const family = code.split('_')[1]!;
      byFamily.set(family, [...(byFamily.get(family) ?? []), message]);
    }
    for (const [family, messages] of byFamily) expect(new Set(messages).size, family).toBe(messages.length);
  });

  it('builds errors that carry code, status, default message, cause and details', () => {
    const cause = new Error('boom');
    const err = new PulseHubError('PH_INGEST_UNKNOWN_UNIT', undefined, { cause, details: { unit: 'furlong' } });
    expect(err.code).toBe('PH_INGEST_UNKNOWN_UNIT');
    expect(err.status).toBe(ERROR_CODES.PH_INGEST_UNKNOWN_UNIT.status);
    expect(err.message).toBe(ERROR_CODES.PH_INGEST_UNKNOWN_UNIT.message);
    expect(err.cause).toBe(cause);
    expect(err.details).toEqual({ unit: 'furlong' });
    expect(isPulseHubError(err, 'PH_INGEST_UNKNOWN_UNIT')).toBe(true);
    expect(isPulseHubError(err, 'PH_INGEST_OUT_OF_RANGE')).toBe(false);
    expect(isPulseHubError(new Error('x'))).toBe(false);
  });

  it('takes only catalog codes (a typo fails typecheck)', () => {
    // @ts-expect-error: not a catalog code (and at run time it has no catalog entry to read)
    expect(() => new PulseHubError('PH_WEB_NOT_FUOND')).toThrow(TypeError);
  });
});
