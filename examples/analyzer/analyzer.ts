import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The reference analyzer for PulseHub's analyzer sync (issue 14): an HTTP endpoint that takes
 * `{userId, cursor, readings}` and answers `{insights:[…]}` from plain rules — thresholds on the
 * newest values and a least-squares trend over the readings it got. No ML; it is the shape of
 * the contract, a starting point, and what the tests run as a real server.
 *
 *   npx tsx --conditions=source examples/analyzer/analyzer.ts   # listens on PORT (default 8090)
 */

export interface Reading { metric: string; time: { at?: string; start?: string; end?: string }; values: Record<string, { value: number; unit: string } | undefined> }
export interface Insight { kind: string; severity: 'info' | 'warning' | 'critical'; title: string; body: string; metric?: string; at?: string }

export const THRESHOLDS = {
  /** bpm above which a heart-rate reading is flagged. */
  hrHigh: 190,
  spo2Low: 92,
  systolicHigh: 140,
  diastolicHigh: 90,
  /** kg per week of body-weight change that is flagged as a trend. */
  weightKgPerWeek: 1,
} as const;

const at = (r: Reading) => r.time.at ?? r.time.end ?? r.time.start ?? '';
const value = (r: Reading, c: string) => r.values[c]?.value;

/** Least-squares slope of y over x (x in ms). */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export function analyze(readings: readonly Reading[]): Insight[] {
  const out: Insight[] = [];
  const of = (metric: string) => readings.filter((r) => r.metric === metric);
  const peak = (list: Reading[], c: string) => list.reduce<Reading | undefined>((best, r) => ((value(r, c) ?? -Infinity) > (best ? value(best, c) ?? -Infinity : -Infinity) ? r : best), undefined);
  const low = (list: Reading[], c: string) => list.reduce<Reading | undefined>((best, r) => ((value(r, c) ?? Infinity) < (best ? value(best, c) ?? Infinity : Infinity) ? r : best), undefined);

  const hr = peak(of('heart_rate'), 'bpm');
  if (hr && (value(hr, 'bpm') ?? 0) > THRESHOLDS.hrHigh) {
    out.push({ kind: 'hr_high', severity: 'warning', metric: 'heart_rate', at: at(hr), title: 'Very high heart rate', body: `Heart rate reached ${value(hr, 'bpm')} /min (above ${THRESHOLDS.hrHigh}).` });
  }
  const spo2 = low(of('spo2'), 'percent');
  if (spo2 && (value(spo2, 'percent') ?? 100) < THRESHOLDS.spo2Low) {
    out.push({ kind: 'spo2_low', severity: 'critical', metric: 'spo2', at: at(spo2), title: 'Low oxygen saturation', body: `SpO2 was ${value(spo2, 'percent')} % (below ${THRESHOLDS.spo2Low} %).` });
  }
  const bp = of('blood_pressure').filter((r) => (value(r, 'systolic') ?? 0) >= THRESHOLDS.systolicHigh || (value(r, 'diastolic') ?? 0) >= THRESHOLDS.diastolicHigh);
  if (bp.length > 0) {
    const last = bp[bp.length - 1]!;
    out.push({ kind: 'bp_high', severity: 'warning', metric: 'blood_pressure', at: at(last), title: 'High blood pressure', body: `${bp.length} reading(s) at or above ${THRESHOLDS.systolicHigh}/${THRESHOLDS.diastolicHigh} mmHg; the last ${value(last, 'systolic')}/${value(last, 'diastolic')}.` });
  }
  const weights = of('body_weight').map((r) => ({ x: Date.parse(at(r)), y: value(r, 'kg') })).filter((p): p is { x: number; y: number } => typeof p.y === 'number' && Number.isFinite(p.x));
  if (weights.length >= 3) {
    const perWeek = slope(weights) * 7 * 86_400_000;
    if (Math.abs(perWeek) >= THRESHOLDS.weightKgPerWeek) {
      out.push({ kind: 'weight_trend', severity: 'info', metric: 'body_weight', title: perWeek > 0 ? 'Weight going up' : 'Weight going down', body: `Body weight trend: ${perWeek > 0 ? '+' : ''}${perWeek.toFixed(1)} kg per week over ${weights.length} weigh-ins.` });
    }
  }
  return out;
}

export interface ReferenceAnalyzer {
  readonly url: string;
  /** Requests received (body, headers), oldest first. */
  readonly requests: { userId: string; readings: Reading[]; idempotencyKey: string | undefined; authorization: string | undefined }[];
  close(): Promise<void>;
}

/** Starts the analyzer on `port` (0: a free one); `token` set: requests without `Bearer <token>` get 401. */
export async function startReferenceAnalyzer(o: { port?: number; host?: string; token?: string } = {}): Promise<ReferenceAnalyzer> {
  const requests: ReferenceAnalyzer['requests'] = [];
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    if (o.token && req.headers.authorization !== `Bearer ${o.token}`) return void res.writeHead(401).end('{"error":"unauthorized"}');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: { userId?: string; readings?: Reading[] };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        return void res.writeHead(400).end('{"error":"not JSON"}');
      }
      const readings = Array.isArray(body.readings) ? body.readings : [];
      requests.push({ userId: String(body.userId), readings, idempotencyKey: req.headers['idempotency-key'] as string | undefined, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ insights: analyze(readings) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(o.port ?? 0, o.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}/analyze`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const a = await startReferenceAnalyzer({ port: Number(process.env.PORT ?? 8090), ...(process.env.ANALYZER_TOKEN ? { token: process.env.ANALYZER_TOKEN } : {}) });
  console.log(`reference analyzer on ${a.url}`);
}
