/**
 * CPU per token verification: the token service (one CryptoKey imported per kid) against jose
 * given the raw secret (a WebCrypto import on every call, what the service did before), in
 * the same run, alternating rounds.
 *
 *   npx tsx --conditions=source bench/jwt-verify.ts [--n 20000] [--rounds 3]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { jwtVerify } from 'jose';
import { createTokenService, generateSigningKey } from '@pulsehub/auth';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@pulsehub/contracts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '3' } } });
const N = Number(values.n);
const key = generateSigningKey();
const tokens = createTokenService({ current: key, previous: [] });
const token = (await tokens.mint({ subject: 'w1', kind: 'device', users: ['ana'] })).token;
const raw = new Uint8Array(Buffer.from(key.secret, 'base64url'));

const time = async (verify: () => Promise<unknown>) => {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await verify();
  const cpu = process.cpuUsage(cpu0);
  return { wallUs: ((performance.now() - t0) * 1000) / N, cpuUs: (cpu.user + cpu.system) / N };
};
const rawVerify = () => jwtVerify(token, raw, { algorithms: ['HS256'], issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE });
const serviceVerify = () => tokens.verify(token);
await time(rawVerify); // warm-up
await time(serviceVerify);
const rows: { round: number; rawCpuUs: number; serviceCpuUs: number; ratio: number }[] = [];
for (let r = 1; r <= Number(values.rounds); r++) {
  const a = await time(rawVerify);
  const b = await time(serviceVerify);
  rows.push({ round: r, rawCpuUs: Number(a.cpuUs.toFixed(1)), serviceCpuUs: Number(b.cpuUs.toFixed(1)), ratio: Number((b.cpuUs / a.cpuUs).toFixed(2)) });
}
console.table(rows);
console.log(JSON.stringify({ bench: 'jwt-verify', n: N, rounds: rows }));
