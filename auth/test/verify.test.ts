import { describe, expect, it } from 'vitest';
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
});
