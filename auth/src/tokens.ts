import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import {
  PulseHubError,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
  TokenClaims,
  type Principal,
  type SubjectKind,
} from '@pulsehub/contracts';
import { keySecretBytes, type Keyring, type SigningKey } from './keyring.js';

const ALG = 'HS256';

export interface MintOptions {
  subject: string;
  kind: SubjectKind;
  users?: readonly string[];
  /** Seconds until expiry; omit for a token that lives until revoked (devices). */
  ttlSeconds?: number;
  jti?: string;
}

export interface MintedToken {
  token: string;
  jti: string;
  expiresAt?: number;
}

/** Answers whether a token id has been revoked. Must be cheap: it runs on every CONNECT. */
export type RevocationCheck = (jti: string, principal: Principal) => boolean | Promise<boolean>;

export interface TokenService {
  mint(options: MintOptions): Promise<MintedToken>;
  /** Verifies signature (HS256 only, `alg: none` and others refused), expiry, issuer and audience. */
  verify(token: string): Promise<Principal>;
}

/** A token service whose keys can be replaced while it runs (a development key rotation picked up live). */
export interface ReloadableTokenService extends TokenService {
  /** The kid new tokens are signed with. */
  readonly currentKid: string;
  replaceKeyring(keyring: Keyring): void;
}

/**
 * The key as a WebCrypto `CryptoKey`, imported once. jose imports a raw `Uint8Array` secret
 * again on every sign and verify (~80 µs against ~45 µs per verify with a key imported once,
 * and garbage on every CONNECT).
 */
function importHmacKey(key: SigningKey): Promise<CryptoKey> {
  const imported = crypto.subtle.importKey('raw', new Uint8Array(keySecretBytes(key)), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  imported.catch(() => {}); // reported where it is awaited
  return imported;
}

export function createTokenService(initial: Keyring, options: { isRevoked?: RevocationCheck; clockToleranceSec?: number } = {}): ReloadableTokenService {
  let keyring = initial;
  /** One imported key per kid, made when the keyring is (re)loaded; shared by every verify. */
  let byKid = new Map<string, { key: SigningKey; crypto: Promise<CryptoKey>; hmac: KeyObject }>();
  let current!: Promise<CryptoKey>;
  const index = () => {
    byKid = new Map();
    for (const key of [keyring.current, ...keyring.previous]) byKid.set(key.kid, { key, crypto: importHmacKey(key), hmac: createSecretKey(keySecretBytes(key)) });
    current = byKid.get(keyring.current.kid)!.crypto;
  };
  index();

  return {
    get currentKid() {
      return keyring.current.kid;
    },
    replaceKeyring(next) {
      keyring = next;
      index();
    },
    async mint(o) {
      const jti = o.jti ?? randomBytes(12).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      let builder = new SignJWT({ kind: o.kind, users: [...(o.users ?? [])] })
        .setProtectedHeader({ alg: ALG, kid: keyring.current.kid, typ: 'JWT' })
        .setSubject(o.subject)
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setJti(jti)
        .setIssuedAt(now);
      let expiresAt: number | undefined;
      if (o.ttlSeconds !== undefined) {
        expiresAt = now + o.ttlSeconds;
        builder = builder.setExpirationTime(expiresAt);
      }
      const token = await builder.sign(await current);
      return expiresAt === undefined ? { token, jti } : { token, jti, expiresAt };
    },

    async verify(token) {
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(token);
      } catch (cause) {
        throw new PulseHubError('PH_AUTH_TOKEN_INVALID', 'token is not a JWT', { cause });
      }
      const entry = header.kid === undefined ? undefined : byKid.get(header.kid);
      if (!entry) throw new PulseHubError('PH_AUTH_TOKEN_INVALID', 'token was signed with an unknown key');
      let payload: unknown;
      try {
        payload = verifyHs256(token, header, entry.hmac, options.clockToleranceSec ?? 5);
      } catch (cause) {
        throw new PulseHubError('PH_AUTH_TOKEN_INVALID', cause instanceof TokenExpired ? 'token has expired' : 'token signature or claims are invalid', { cause });
      }
      const parsed = TokenClaims.safeParse(payload);
      if (!parsed.success) throw new PulseHubError('PH_AUTH_TOKEN_INVALID', 'token claims are not PulseHub claims');
      const c = parsed.data;
      // jose checks exp and nbf, not iat: a token "issued" in the future (iat in 2100) would
      // outlive every rotation and max-age rule. Beyond the clock tolerance it is refused.
      if (c.iat > Math.floor(Date.now() / 1000) + (options.clockToleranceSec ?? 5)) {
        throw new PulseHubError('PH_AUTH_TOKEN_INVALID', 'token is issued in the future');
      }
      const principal: Principal = c.exp === undefined
        ? { subject: c.sub, kind: c.kind, users: c.users, jti: c.jti }
        : { subject: c.sub, kind: c.kind, users: c.users, jti: c.jti, expiresAt: c.exp };
      if (options.isRevoked && (await options.isRevoked(c.jti, principal))) {
        throw new PulseHubError('PH_AUTH_TOKEN_REVOKED');
      }
      return principal;
    },
  };
}

class TokenExpired extends Error {}

/**
 * [issue 17 §3] The signature is checked with node:crypto's HMAC and a `KeyObject` made once per
 * key, synchronously: WebCrypto's `verify` (what jose uses) hands each HMAC to the thread pool
 * and back, which made it more than half of the broker's CPU for a burst of CONNECTs. The
 * checks are jose's `jwtVerify` ones for this use: a compact JWS of three parts, `alg` HS256
 * only (`none` and every other algorithm refused), no `crit` extensions, the signature compared
 * in constant time against its canonical base64url form, a JSON object payload, `exp` and `nbf`
 * within the clock tolerance. Issuer and audience are checked by the caller's claims schema.
 */
function verifyHs256(token: string, header: { alg?: unknown; crit?: unknown }, key: KeyObject, toleranceSec: number): unknown {
  const first = token.indexOf('.');
  const last = token.lastIndexOf('.');
  if (first <= 0 || last === first || token.indexOf('.', first + 1) !== last) throw new Error('not a compact JWS');
  if (header.alg !== ALG) throw new Error(`algorithm ${String(header.alg)} is not allowed`);
  if (header.crit !== undefined) throw new Error('crit extensions are not supported');
  const expected = Buffer.from(createHmac('sha256', key).update(token.slice(0, last)).digest('base64url'));
  const given = Buffer.from(token.slice(last + 1));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error('signature verification failed');
  const claims = decodeJwt(token);
  const now = Math.floor(Date.now() / 1000);
  if (claims.exp !== undefined && (typeof claims.exp !== 'number' || claims.exp <= now - toleranceSec)) throw new TokenExpired('"exp" claim timestamp check failed');
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now + toleranceSec)) throw new Error('"nbf" claim timestamp check failed');
  if (claims.iat !== undefined && typeof claims.iat !== 'number') throw new Error('"iat" claim must be a number');
  return claims;
}
