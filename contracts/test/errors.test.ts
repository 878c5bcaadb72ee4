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
  'PH_STORE_UNAVAILABLE', 'PH_STORE_LOCKED', 'PH_STORE_NOT_FOUND',
  'PH_WEB_BAD_REQUEST', 'PH_WEB_NOT_FOUND',
  'PH_LIVE_BAD_MESSAGE', 'PH_LIVE_NOT_AUTHENTICATED',
];

const entries = Object.entries(ERROR_CODES) as [ErrorCode, { status: number; message: string }][];

describe('error catalog', () => {
  it('still has every code that ever shipped', () => {
    for (const code of SHIPPED) expect(ERROR_CODES, code).toHaveProperty(code);
  });

  it.each(entries)('%s has a prefixed name, an HTTP error status and a message', (code, { status, message }) => {
    expect(code).toMatch(/^PH_[A-Z]+_[A-Z0-9_]+$/);
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
});
