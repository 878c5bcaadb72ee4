import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookWorker } from '@pulsehub/outbound';

// The webhook tests' real HTTP receiver on a free loopback port, and the tick-until helper.

export interface Received { headers: IncomingHttpHeaders; body: string }
export interface Receiver { url: string; got: Received[]; answer: (r: Received) => { status: number; headers?: Record<string, string> }; close(): Promise<void> }

/** Records every request; answers 200 unless `answer` is replaced. */
export async function receiver(): Promise<Receiver> {
  const r: Partial<Receiver> & { got: Received[] } = { got: [], answer: () => ({ status: 200 }) };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      r.got.push(rec);
      const a = r.answer!(rec);
      res.writeHead(a.status, a.headers).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return r as Receiver;
}

/** Ticks until `done()` or the deadline (never a fixed sleep). */
export async function until(worker: WebhookWorker, done: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error('deadline passed');
    await worker.tick();
    await new Promise((r) => setTimeout(r, 20));
  }
}
