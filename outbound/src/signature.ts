import { createHmac, timingSafeEqual } from 'node:crypto';

/** `PulseHub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>` (README: Webhooks). */
export const SIGNATURE_HEADER = 'PulseHub-Signature';

export function sign(secret: string, body: string | Buffer, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * What a receiver does (the README's example, as code the tests run): recompute the HMAC over
 * `t.body`, compare in constant time, and refuse a timestamp older than `toleranceSec` (replays).
 */
export function verify(secret: string, body: string, header: string, o: { toleranceSec?: number; now?: number } = {}): boolean {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  const v1 = parts.v1 ?? '';
  if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(v1)) return false;
  const now = o.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (o.toleranceSec ?? 300)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, 'hex'));
}
