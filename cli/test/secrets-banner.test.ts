import { describe, expect, it } from 'vitest';
import { isPulseHubError } from '@pulsehub/contracts';
import { dashboardLine, loadConfig } from '@pulsehub/cli';

// Issue 11, smaller points: production accepted an all-zero secret, and the start banner
// printed a 12 h admin token whatever the mode.

const prod = (secret: string) => ({ PULSEHUB_MODE: 'production', DATABASE_URL: 'postgres://127.0.0.1/x', PULSEHUB_JWT_SECRET: secret });
const b64 = (b: Buffer) => b.toString('base64url');

describe('production refuses low-entropy secrets', () => {
  it.each([
    ['all zero', b64(Buffer.alloc(32, 0))],
    ['one repeated byte', b64(Buffer.alloc(48, 7))],
    ['a repeated short pattern', b64(Buffer.from('abcd'.repeat(10)))],
    ['few distinct bytes', b64(Buffer.from(Array.from({ length: 40 }, (_, i) => [1, 2, 3, 4, 5, 6][i % 6]!)))],
    ['ASCII words', b64(Buffer.from('passwordpasswordpassword12345678'))],
  ])('%s', (_name, secret) => {
    let err: unknown;
    try {
      loadConfig(prod(secret));
    } catch (e) {
      err = e;
    }
    expect(isPulseHubError(err, 'PH_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toMatch(/PULSEHUB_JWT_SECRET.*(random|entropy)/);
  });

  it('accepts 32 random bytes in production, and a previous key is checked the same way', () => {
    const good = 'q3Xc8e1m7yRk0t6cVbJp2sQn9wFh4dLzG5aUoiYxTrE';
    expect(loadConfig(prod(good)).mode).toBe('production');
    expect(() => loadConfig({ ...prod(good), PULSEHUB_JWT_PREVIOUS: `old:${b64(Buffer.alloc(32, 0))}` })).toThrow(/PULSEHUB_JWT_PREVIOUS/);
  });
});

describe('the start banner', () => {
  it('prints an admin token in development only', async () => {
    let minted = 0;
    const mint = async () => (minted++, 'TOKEN123');
    expect(await dashboardLine('development', 'http://localhost:8080', mint)).toContain('?token=TOKEN123');
    const line = await dashboardLine('production', 'http://localhost:8080', mint);
    expect(line).not.toContain('token=');
    expect(line).toContain('pulsehub token admin');
    expect(minted).toBe(1);
  });
});
