import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * Transport helpers: the real client address behind a trusted proxy (PROXY protocol v1/v2 on
 * TCP, X-Forwarded-For on WebSocket) and TLS material. Addresses from anyone but a trusted
 * proxy are ignored: otherwise any client could claim any address.
 */
export interface ConnDetails {
  ipAddress: string;
  port?: number;
  /** true when the address came from a trusted proxy's header. */
  proxied: boolean;
}

const normalize = (a: string | undefined): string => (a?.startsWith('::ffff:') ? a.slice(7) : (a ?? ''));

export function isTrusted(address: string | undefined, trusted: readonly string[]): boolean {
  return trusted.includes(normalize(address));
}

/** X-Forwarded-For: the right-most address not itself a trusted proxy. */
export function forwardedFor(req: IncomingMessage, trusted: readonly string[]): ConnDetails {
  const peer = normalize(req.socket.remoteAddress);
  const header = req.headers['x-forwarded-for'];
  if (!isTrusted(peer, trusted) || header === undefined) return { ipAddress: peer, proxied: false };
  const hops = (Array.isArray(header) ? header.join(',') : header).split(',').map((s) => s.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalize(hops[i]);
    if (isIP(hop) && !isTrusted(hop, trusted)) return { ipAddress: hop, proxied: true };
  }
  return { ipAddress: peer, proxied: false };
}

const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_MAX = 107;

type Parsed = { details: ConnDetails | null; consumed: number } | 'more' | 'invalid';

/** Parses a PROXY protocol header (v1 text or v2 binary) at the start of `buf`. */
export function parseProxyHeader(buf: Buffer): Parsed {
  if (buf.length >= 1 && buf[0] === 0x50) {
    // v1: "PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n" or "PROXY UNKNOWN\r\n"
    const end = buf.indexOf('\r\n');
    if (end < 0) return buf.length >= V1_MAX ? 'invalid' : 'more';
    const line = buf.subarray(0, end).toString('latin1').split(' ');
    if (line[0] !== 'PROXY') return 'invalid';
    if (line[1] === 'UNKNOWN') return { details: null, consumed: end + 2 };
    if ((line[1] !== 'TCP4' && line[1] !== 'TCP6') || line.length !== 6 || !isIP(line[2] ?? '')) return 'invalid';
    return { details: { ipAddress: line[2] as string, port: Number(line[4]), proxied: true }, consumed: end + 2 };
  }
  if (buf.length < 16) return V2_SIGNATURE.subarray(0, buf.length).equals(buf.subarray(0, V2_SIGNATURE.length)) ? 'more' : 'invalid';
  if (!buf.subarray(0, 12).equals(V2_SIGNATURE)) return 'invalid';
  const verCmd = buf[12] as number;
  const fam = buf[13] as number;
  const len = buf.readUInt16BE(14);
  if (verCmd >> 4 !== 2) return 'invalid';
  if (buf.length < 16 + len) return 'more';
  const consumed = 16 + len;
  // LOCAL command (health checks of the proxy itself): keep the socket's own address.
  if ((verCmd & 0xf) === 0) return { details: null, consumed };
  if (fam >> 4 === 1 && len >= 12) {
    const ip = `${buf[16]}.${buf[17]}.${buf[18]}.${buf[19]}`;
    return { details: { ipAddress: ip, port: buf.readUInt16BE(24), proxied: true }, consumed };
  }
  if (fam >> 4 === 2 && len >= 36) {
    const parts: string[] = [];
    for (let i = 0; i < 8; i++) parts.push(buf.readUInt16BE(16 + i * 2).toString(16));
    return { details: { ipAddress: parts.join(':'), port: buf.readUInt16BE(48), proxied: true }, consumed };
  }
  return { details: null, consumed };
}

/**
 * Reads the PROXY header a trusted proxy sends first, then hands the socket on with the
 * bytes after the header put back. A socket without a valid header is destroyed.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ConnDetails> {
  const own: ConnDetails = { ipAddress: normalize(socket.remoteAddress), proxied: false };
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error('no PROXY protocol header in time')), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('close', onClose);
    };
    const fail = (err: Error) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onClose = () => fail(new Error('closed before the PROXY header'));
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        buf = Buffer.concat([buf, chunk]);
        const r = parseProxyHeader(buf);
        if (r === 'more') continue;
        if (r === 'invalid') return fail(new Error('invalid PROXY protocol header'));
        cleanup();
        const rest = buf.subarray(r.consumed);
        if (rest.length > 0) socket.unshift(rest);
        return resolve(r.details ?? own);
      }
    };
    socket.on('readable', onReadable);
    socket.on('close', onClose);
  });
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
  /** CA that signs device client certificates; enables client-certificate authentication. */
  caFile?: string;
}

export function loadTls(f: TlsFiles): { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: false } {
  const base = { cert: readFileSync(f.certFile), key: readFileSync(f.keyFile), requestCert: f.caFile !== undefined, rejectUnauthorized: false as const };
  return f.caFile === undefined ? base : { ...base, ca: readFileSync(f.caFile) };
}

/** The common name of a verified client certificate, or null. */
export function verifiedCertificateName(conn: unknown): { cn: string; fingerprint: string } | null {
  const tls = conn as Partial<TLSSocket>;
  if (tls.authorized !== true || typeof tls.getPeerCertificate !== 'function') return null;
  const cert = tls.getPeerCertificate();
  const cn = cert.subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? { cn, fingerprint: cert.fingerprint256 } : null;
}
