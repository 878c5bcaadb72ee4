import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { resolveTarget } from './address-guard.js';

export interface SendResult {
  /** HTTP status, or null when no answer came (refused address, connection error, timeout). */
  status: number | null;
  ok: boolean;
  latencyMs: number;
  error?: string;
}

/**
 * One POST of a JSON body. The host is resolved and checked here, at send time, and the socket
 * connects to exactly the checked address (a `lookup` that answers with it), so a DNS answer
 * that changes between check and connect (rebinding) cannot steer the request. TLS still
 * verifies the certificate against the host name. Redirects are never followed: a 3xx is a
 * failed attempt that names where it pointed. The whole exchange has one deadline.
 */
export async function postJson(rawUrl: string, body: string | Buffer, headers: Record<string, string>, o: { allowHosts: ReadonlySet<string>; timeoutMs: number; maxResponseBytes?: number }): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  let url: URL;
  let target: Awaited<ReturnType<typeof resolveTarget>>;
  try {
    url = new URL(rawUrl);
    target = await resolveTarget(url.hostname, o.allowHosts);
  } catch (err) {
    return { status: null, ok: false, latencyMs: elapsed(), error: (err as Error).message };
  }
  const pinned: LookupFunction = (_host, opts, cb) => {
    if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: target.address, family: target.family }]);
    else cb(null, target.address, target.family);
  };
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const done = (r: Omit<SendResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...r, latencyMs: elapsed() });
    };
    const req = mod.request(url, {
      method: 'POST',
      agent: false,
      lookup: pinned,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'PulseHub-Webhooks/1', ...headers },
    }, (res) => {
      const status = res.statusCode ?? 0;
      let seen = 0;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        seen += chunk.length;
        if (text.length < 300) text += chunk.slice(0, 300 - text.length);
        if (seen > (o.maxResponseBytes ?? 64 * 1024)) res.destroy();
      });
      const finish = () => {
        if (status >= 200 && status < 300) done({ status, ok: true });
        else if (status >= 300 && status < 400) done({ status, ok: false, error: `redirect not followed (${status} to ${String(res.headers.location ?? '?').slice(0, 200)})` });
        else done({ status, ok: false, error: `HTTP ${status}${text ? `: ${text.replace(/\s+/g, ' ').trim()}` : ''}` });
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${o.timeoutMs} ms`));
    }, o.timeoutMs);
    req.on('error', (err) => done({ status: null, ok: false, error: err.message }));
    req.end(body);
  });
}
