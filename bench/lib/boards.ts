/**
 * Board process for bench/diy-stack.ts and bench/ten-k.ts: `boards` WebSocket clients, each
 * following the same athletes, measuring device → board latency from the send time in each
 * event's id (see bench/lib/devices.ts) against this process's clock.
 *
 * argv[2]: JSON { kind: 'hub' | 'diy', url, athletes, boards }. 'hub' speaks the /live protocol
 * (`ready` → `subscribe` → `subscribed`); 'diy' sends the same `subscribe` to the hand-built
 * `ws` server (bench/lib/diy-live.ts), which answers `subscribed`.
 * Prints `{ ready }` when every board is subscribed. Command `{ report: [fromµs, toµs] }` prints
 * `{ latencyMs, frames, closed }` for the events first sent inside that window.
 */
import WebSocket from 'ws';
import { emit, onCommands } from './child.js';
import { epochMicros, percentiles } from './stats.js';

const { kind, url, athletes, boards } = JSON.parse(process.argv[2]!) as { kind: 'hub' | 'diy'; url: string; athletes: string[]; boards: number };
const ID = /"id":"[^"]*-(\d+)"/;
let sentAt = new Float64Array(1 << 20);
let latency = new Float64Array(1 << 20);
let n = 0;
let frames = 0;
let closed = 0;

function record(frame: string): void {
  const now = epochMicros();
  const m = ID.exec(frame);
  if (!m) return;
  frames++;
  if (n === sentAt.length) {
    const grow = (a: Float64Array) => { const b = new Float64Array(a.length * 2); b.set(a); return b; };
    sentAt = grow(sentAt);
    latency = grow(latency);
  }
  const t = Number(m[1]);
  sentAt[n] = t;
  latency[n++] = (now - t) / 1000;
}

function open(): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('error', reject);
    ws.on('close', () => closed++);
    ws.on('message', (d) => {
      const text = d.toString();
      if (text.startsWith('{"type":"event"')) return record(text);
      const m = JSON.parse(text) as { type: string };
      if (m.type === 'ready' && kind === 'hub') ws.send(JSON.stringify({ type: 'subscribe', athletes }));
      else if (m.type === 'subscribed') resolve();
    });
    if (kind === 'diy') ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', athletes })));
  });
}

for (let i = 0; i < boards; i += 10) await Promise.all(Array.from({ length: Math.min(10, boards - i) }, open));
emit({ ready: true });
onCommands((c) => {
  const w = c.report as [number, number] | undefined;
  if (!w) return;
  const xs: number[] = [];
  for (let i = 0; i < n; i++) if (sentAt[i]! >= w[0] && sentAt[i]! < w[1]) xs.push(latency[i]!);
  emit({ latencyMs: percentiles(xs), frames, closed });
});
