import { describe, expect, it, vi } from 'vitest';
import { SignJWT } from 'jose';
import { isPulseHubError } from '@pulsehub/contracts';
import { createTokenService, generateSigningKey, type SigningKey } from '@pulsehub/auth';

// verify() is the one door of the broker and web: a token issued in the future (iat in 2100
// was accepted, issue 11), alg:none and a wrong key are refused with PH_AUTH_TOKEN_INVALID.

const key = generateSigningKey();
const tokens = createTokenService({ current: key, previous: [] });
const now = () => Math.floor(Date.now() / 1000);

async function sign(claims: Record<string, unknown>, k: SigningKey = key): Promise<string> {
  return new SignJWT({ kind: 'admin', users: [], ...claims }).setProtectedHeader({ alg: 'HS256', kid: k.kid, typ: 'JWT' })
    .setSubject('ops').setIssuer('pulsehub').setAudience('pulsehub').setJti('abcdefgh1234').sign(new Uint8Array(Buffer.from(k.secret, 'base64url')));
}
async function refusal(token: string): Promise<string> {
  try {
    await tokens.verify(token);
    return 'accepted';
  } catch (err) {
    return isPulseHubError(err) ? err.code : String(err);
  }
}

describe('token verification', () => {
  it('accepts a token issued now, and one a few seconds ahead (clock skew)', async () => {
    expect(await refusal(await sign({ iat: now() }))).toBe('accepted');
    expect(await refusal(await sign({ iat: now() + 3 }))).toBe('accepted');
  });

  it.each([
    ['in 2100', Date.UTC(2100, 0, 1) / 1000],
    ['a minute ahead', 0],
  ])('refuses a token issued %s', async (_name, at) => {
    const iat = at || now() + 60;
    expect(await refusal(await sign({ iat, exp: iat + 3600 }))).toBe('PH_AUTH_TOKEN_INVALID');
  });

  it('refuses alg:none, a wrong key, and an expired token', async () => {
    const [h, p] = (await sign({ iat: now() })).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid, typ: 'JWT' })).toString('base64url')}.${p}.`;
    expect(await refusal(none)).toBe('PH_AUTH_TOKEN_INVALID');
    expect(h).toBeTruthy();
    expect(await refusal(await sign({ iat: now() }, { kid: key.kid, secret: generateSigningKey().secret }))).toBe('PH_AUTH_TOKEN_INVALID');
    expect(await refusal(await sign({ iat: now() - 100, exp: now() - 50 }))).toBe('PH_AUTH_TOKEN_INVALID');
  });

  // [issue 17 §3] The signature is checked with node:crypto, not jose's jwtVerify: the same refusals.
  it('refuses a tampered payload, a non-canonical or padded signature, crit, other algorithms, nbf ahead and extra parts', async () => {
    const good = await sign({ iat: now() });
    const [h, p, sig] = good.split('.') as [string, string, string];
    const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'root' })).toString('base64url');
    expect(await refusal(`${h}.${other}.${sig}`)).toBe('PH_AUTH_TOKEN_INVALID');
    expect(await refusal(`${h}.${p}.${sig}=`)).toBe('PH_AUTH_TOKEN_INVALID');
    expect(await refusal(`${h}.${p}.${sig}!`)).toBe('PH_AUTH_TOKEN_INVALID');
    expect(await refusal(`${h}.${p}.${sig.slice(0, -1)}`)).toBe('PH_AUTH_TOKEN_INVALID');
    expect(await refusal(`${h}.${p}.${sig}.${sig}`)).toBe('PH_AUTH_TOKEN_INVALID');
    const secret = new Uint8Array(Buffer.from(key.secret, 'base64url'));
    const claims = { kind: 'admin', users: [], iat: now() };
    const withHeader = (header: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: key.kid, ...header } as never)
      .setSubject('ops').setIssuer('pulsehub').setAudience('pulsehub').setJti('abcdefgh1234');
    expect(await refusal(await withHeader({ crit: ['x-ext'], 'x-ext': 1 }).sign(secret, { crit: { 'x-ext': true } }))).toBe('PH_AUTH_TOKEN_INVALID');
    expect(await refusal(await withHeader({ alg: 'HS512' }).sign(new Uint8Array(64).fill(1)))).toBe('PH_AUTH_TOKEN_INVALID');
    expect(await refusal(await withHeader({}).setNotBefore(now() + 60).sign(secret))).toBe('PH_AUTH_TOKEN_INVALID');
    expect(await refusal(await withHeader({}).setNotBefore(now()).sign(secret))).toBe('accepted');
    const raw = (extra: Record<string, unknown>) => new SignJWT({ ...claims, sub: 'ops', jti: 'abcdefgh1234', iss: 'pulsehub', aud: 'pulsehub', ...extra })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(secret);
    expect(await refusal(await raw({}))).toBe('accepted');
    expect(await refusal(await raw({ iss: 'someone-else' }))).toBe('PH_AUTH_TOKEN_INVALID');
    expect(await refusal(await raw({ aud: 'web' }))).toBe('PH_AUTH_TOKEN_INVALID');
    expect(await refusal(await raw({ exp: 'tomorrow' }))).toBe('PH_AUTH_TOKEN_INVALID');
  });

  it('imports each key once (not on every verify or mint), and a replaced keyring takes effect at once', async () => {
    const k1 = generateSigningKey();
    const k2 = generateSigningKey();
    // Signed here with raw secrets (jose imports those itself), before counting.
    const byK1 = await sign({ iat: now() }, k1);
    const forgedK2 = await sign({ iat: now() }, { kid: k2.kid, secret: k1.secret });
    // A spy that calls through: the real WebCrypto import runs, we count it.
    const imports = vi.spyOn(crypto.subtle, 'importKey');
    try {
      const service = createTokenService({ current: k1, previous: [] });
      expect(imports).toHaveBeenCalledTimes(1);
      const minted = await service.mint({ subject: 'w1', kind: 'device', users: ['ana'] });
      for (let i = 0; i < 20; i++) expect((await service.verify(minted.token)).subject).toBe('w1');
      expect(await refusalBy(service, byK1)).toBe('accepted');
      expect(imports).toHaveBeenCalledTimes(1);
      // Rotation: the new key signs, the old one still verifies; a key dropped from the ring no longer does.
      service.replaceKeyring({ current: k2, previous: [k1] });
      const next = await service.mint({ subject: 'w2', kind: 'device', users: ['ana'] });
      expect((await service.verify(next.token)).subject).toBe('w2');
      expect((await service.verify(minted.token)).subject).toBe('w1');
      expect(imports).toHaveBeenCalledTimes(3);
      service.replaceKeyring({ current: k2, previous: [] });
      expect(await refusalBy(service, minted.token)).toBe('PH_AUTH_TOKEN_INVALID');
      // A token signed with the right kid but another secret is still refused with the imported key.
      expect(await refusalBy(service, forgedK2)).toBe('PH_AUTH_TOKEN_INVALID');
    } finally {
      imports.mockRestore();
    }
  });
});

async function refusalBy(service: ReturnType<typeof createTokenService>, token: string): Promise<string> {
  try {
    await service.verify(token);
    return 'accepted';
  } catch (err) {
    return isPulseHubError(err) ? err.code : String(err);
  }
}
