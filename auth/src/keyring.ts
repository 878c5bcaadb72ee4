import { randomBytes } from 'node:crypto';

/** One HMAC signing key. `kid` travels in the JWT header so rotation can pick the right key. */
export interface SigningKey {
  readonly kid: string;
  /** base64url secret, at least 32 bytes once decoded. */
  readonly secret: string;
}

/**
 * The keys a hub trusts. The first signs new tokens; all of them verify, so a rotation
 * keeps the previous key around until every device has a new token.
 */
export interface Keyring {
  readonly current: SigningKey;
  readonly previous: readonly SigningKey[];
}

export function generateSigningKey(): SigningKey {
  return { kid: randomBytes(6).toString('hex'), secret: randomBytes(32).toString('base64url') };
}

export function keySecretBytes(key: SigningKey): Uint8Array {
  return new Uint8Array(Buffer.from(key.secret, 'base64url'));
}

/** Rotate: a new current key, the old current becomes the newest previous one (at most `keep`). */
export function rotateKeyring(ring: Keyring, keep = 1): Keyring {
  return { current: generateSigningKey(), previous: [ring.current, ...ring.previous].slice(0, keep) };
}
