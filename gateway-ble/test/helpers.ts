import { expect } from 'vitest';
import { isBleGatewayError, type BleErrorCode } from '../src/errors.js';

/** `hex('01 48 00')` → bytes. Vectors in these tests are written from the spec layouts, octet by octet. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0) throw new Error(`odd hex ${s}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

export function expectCode(fn: () => unknown, code: BleErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected ${code}`).toBeDefined();
  expect(isBleGatewayError(thrown) ? thrown.code : thrown).toBe(code);
}
