import WebSocket from 'ws';
import type { ServerMessage } from '@pulsehub/contracts';

/** A `/live` WebSocket client that records every message. */
export class LiveClient implements AsyncDisposable {
  readonly messages: ServerMessage[] = [];
  private waiters: { pred: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as ServerMessage;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
    this.closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  }

  /**
   * Connects to `/live` of the HTTP server on `port` (127.0.0.1, or a hub's HTTP port) and waits
   * until it is open; with `ready`, also for the server's `ready` frame.
   */
  static async open(port: number | { http: { port: number } }, token: string, options: { ready?: boolean } = {}): Promise<LiveClient> {
    const p = typeof port === 'number' ? port : port.http.port;
    const ws = new WebSocket(`ws://127.0.0.1:${p}/live?token=${encodeURIComponent(token)}`);
    const c = new LiveClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (options.ready) await c.next('ready');
    return c;
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  /**
   * The first message that matches: already received (from index `from` on) or still to come
   * within `timeout` ms (default 5000).
   */
  next<T extends ServerMessage['type']>(type: T, pred: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true, options: { timeout?: number; from?: number } = {}): Promise<Extract<ServerMessage, { type: T }>> {
    const { timeout = 5000, from = 0 } = options;
    const match = (m: ServerMessage) => m.type === type && pred(m as Extract<ServerMessage, { type: T }>);
    const seen = this.messages.slice(from).find(match);
    if (seen) return Promise.resolve(seen as Extract<ServerMessage, { type: T }>);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${type} message within ${timeout} ms; got ${JSON.stringify(this.messages.slice(-8).map((x) => x.type))}`)), timeout);
      this.waiters.push({ pred: match, resolve: (m) => (clearTimeout(t), resolve(m as Extract<ServerMessage, { type: T }>)) });
    });
  }

  /** The `event` frames received so far. */
  events(): Extract<ServerMessage, { type: 'event' }>[] {
    return this.messages.filter((m): m is Extract<ServerMessage, { type: 'event' }> => m.type === 'event');
  }

  close(): void {
    this.ws.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.closed;
  }
}
