import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import pino from 'pino';
import { createTokenService, generateSigningKey, type TokenService } from '@pulsehub/auth';
import type { CanonicalEvent, ServerMessage } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { createWebApp, type WebApp } from '@pulsehub/web';
import { framePayload, textFrame } from '../src/live/outbox.js';

let seq = 0;
const hr = (userId: string, bpm: number): CanonicalEvent => ({
  id: `tw-${userId}-${seq++}`, userId, deviceId: `w-${userId}`, metric: 'heart_rate', time: { at: new Date().toISOString() },
  values: { bpm: { value: bpm, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: new Date().toISOString() },
});

/**
 * Issue 17 §5: the frames the LiveHub fans out during one turn of the event loop leave each
 * board's socket in a few writes, not one system call per frame, and none of them is held
 * past the turn.
 */
describe('/live: one turn of frames, one write per board', () => {
  let db: TestDatabase;
  let store: Store;
  let tokens: TokenService;
  let web: WebApp;
  let port: number;
  const athletes = Array.from({ length: 200 }, (_, i) => `tw${i}`);

  /** Socket writes (`_write` / `_writev` calls) per server-side socket, by the client's port. */
  const writes = new Map<number, number>();
  const proto = net.Socket.prototype as unknown as Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
  const original = { _write: proto._write, _writev: proto._writev };

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openStore(db.target);
    tokens = createTokenService({ current: generateSigningKey(), previous: [] });
    web = await createWebApp({ store, tokens, logger: pino({ level: 'silent' }), heartbeatMs: 60_000 });
    port = (await web.listen({ port: 0 })).port;
    for (const name of ['_write', '_writev'] as const) {
      proto[name] = function (this: net.Socket, ...a: unknown[]) {
        if (this.localPort === port && this.remotePort !== undefined) writes.set(this.remotePort, (writes.get(this.remotePort) ?? 0) + 1);
        return original[name].apply(this, a);
      };
    }
  });
  afterAll(async () => {
    Object.assign(proto, original);
    await web?.close();
    await store?.close();
    await db?.drop();
  });
  afterEach(() => writes.clear());

  async function board(): Promise<{ ws: WebSocket; localPort: number; frames: ServerMessage[]; until: (done: number | ((f: ServerMessage[]) => boolean)) => Promise<void> }> {
    const { token } = await tokens.mint({ subject: 'root', kind: 'admin', ttlSeconds: 60 });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/live?token=${token}`);
    const frames: ServerMessage[] = [];
    let wake: (() => void) | null = null;
    ws.on('message', (d) => {
      frames.push(JSON.parse(d.toString()) as ServerMessage);
      wake?.();
    });
    const until = async (done: number | ((f: ServerMessage[]) => boolean)) => {
      const deadline = Date.now() + 5000;
      const ok = typeof done === 'number' ? () => frames.length >= done : () => done(frames);
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`${frames.length} frames in 5 s, not ${String(done)}; last: ${JSON.stringify(frames.slice(-2)).slice(0, 400)}`);
        await new Promise<void>((r) => { wake = r; setTimeout(r, 50); });
      }
    };
    await until(1); // ready
    ws.send(JSON.stringify({ type: 'subscribe', athletes }));
    // ready, subscribed, then one snapshot per athlete (nothing held back for them after it)
    await until(2 + athletes.length);
    expect(frames.filter((m) => m.type === 'snapshot')).toHaveLength(athletes.length);
    frames.length = 0;
    return { ws, localPort: (ws as unknown as { _socket: net.Socket })._socket.localPort!, frames, until };
  }

  it('200 readings published in one turn reach two boards whole and in order, in a handful of writes each', async () => {
    const boards = [await board(), await board()];
    writes.clear();
    // One turn: every athlete's reading, as when a class's devices all publish at once.
    for (const [i, a] of athletes.entries()) web.hub.publish(hr(a, 100 + (i % 80)));
    // Each athlete first goes `live` (a state frame), then its event: 400 frames per board.
    for (const b of boards) await b.until(400);
    for (const b of boards) {
      const events = b.frames.filter((m): m is Extract<ServerMessage, { type: 'event' }> => m.type === 'event');
      expect(events.map((m) => m.event.userId)).toEqual(athletes);
      expect(events.map((m) => m.event.values.bpm!.value)).toEqual(athletes.map((_, i) => 100 + (i % 80)));
      // ~60 KB of frames: one write per 16 KB held, not one per frame (400 without coalescing).
      const n = writes.get(b.localPort) ?? 0;
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(10);
    }
    for (const b of boards) b.ws.close();
  });

  it('a single frame is not held past its turn', async () => {
    const b = await board();
    web.hub.publish(hr('tw7', 131));
    // Nothing else happens on the server: the frame must leave at the end of the turn by itself.
    await b.until((f) => f.some((m) => m.type === 'event'));
    expect(b.frames.find((m) => m.type === 'event')).toMatchObject({ event: { userId: 'tw7', values: { bpm: { value: 131 } } } });
    b.ws.close();
  });
});

describe('textFrame: a WebSocket text frame a real client reads', () => {
  it('carries payloads across the 7-, 16- and 64-bit length forms, multi-byte UTF-8 included', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    // 0, the 7-bit maximum, the first 16-bit length, the 16-bit maximum, the first 64-bit length.
    const sizes = [0, 125, 126, 65_535, 65_536, 70_001];
    const head = JSON.stringify({ t: 'é♥' }); // 5 bytes more than characters
    const payloads = sizes.map((n) => (n < Buffer.byteLength(head) ? 'x'.repeat(n) : head + ' '.repeat(n - Buffer.byteLength(head))));
    expect(payloads.map((p) => Buffer.byteLength(p))).toEqual(sizes);
    wss.on('connection', (_ws, req) => {
      for (const p of payloads) req.socket.write(textFrame(p));
    });
    const port = (wss.address() as { port: number }).port;
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const got: { text: string; binary: boolean }[] = [];
    await new Promise<void>((resolve, reject) => {
      client.on('message', (d, binary) => {
        got.push({ text: d.toString(), binary });
        if (got.length === payloads.length) resolve();
      });
      client.on('error', reject);
    });
    expect(got.map((g) => g.binary)).toEqual(payloads.map(() => false));
    expect(got.map((g) => g.text)).toEqual(payloads);
    expect(got.map((g) => Buffer.byteLength(g.text))).toEqual(payloads.map((p) => Buffer.byteLength(p)));
    expect(framePayload(textFrame(payloads[4]!)).toString()).toBe(payloads[4]);
    // The minimal length form (RFC 6455 §5.2): 7 bits up to 125, 16 bits up to 65,535, then 64.
    expect(payloads.map((p) => [...textFrame(p).subarray(0, 2)])).toEqual([[0x81, 0], [0x81, 125], [0x81, 126], [0x81, 126], [0x81, 127], [0x81, 127]]);
    client.close();
    await new Promise((r) => wss.close(r));
  });
});
