import type { WebSocket } from 'ws';

export interface OutboxOptions {
  /** Above this many unsent bytes, deltas are conflated instead of written. */
  highWaterBytes: number;
  /** A client whose backlog has not drained for this long is closed (`WS_CLOSE.tooSlow`, 4429). */
  maxLagMs: number;
  /** Hard limit of unsent bytes, whatever the kind of message. */
  maxBufferedBytes: number;
  /** How often a congested outbox retries. */
  flushIntervalMs?: number;
}

/**
 * What one WebSocket client has not received yet. Deltas (events, tallies, states) carry a
 * key — athlete and metric — and while the socket is congested only the newest frame per
 * key is kept (conflation), so memory per client is bounded by athletes × metrics and a
 * slow reader costs the others nothing. If the backlog does not drain within `maxLagMs`,
 * `onTooSlow` fires and the session closes the socket with `WS_CLOSE.tooSlow`.
 */
export class Outbox {
  private readonly pending = new Map<string, string>();
  private congestedSince = 0;
  private timer: NodeJS.Timeout | null = null;
  conflated = 0;

  constructor(private readonly ws: WebSocket, private readonly o: OutboxOptions, private readonly onTooSlow: () => void) {}

  private get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** A control frame (snapshot, subscribed, heartbeat…): written in order, never dropped. */
  control(data: string): void {
    if (!this.open) return;
    if (this.ws.bufferedAmount > this.o.maxBufferedBytes) return this.onTooSlow();
    this.flush();
    this.ws.send(data);
  }

  /** A delta frame: written at once, or conflated by key while the socket is congested. */
  delta(key: string, data: string): void {
    if (!this.open) return;
    if (this.pending.size === 0 && this.ws.bufferedAmount < this.o.highWaterBytes) {
      this.ws.send(data);
      return;
    }
    if (this.pending.has(key)) {
      this.pending.delete(key); // re-insert: the map stays in arrival order of the newest frames
      this.conflated++;
    }
    this.pending.set(key, data);
    if (this.congestedSince === 0) this.congestedSince = Date.now();
    this.schedule();
  }

  get backlog(): number {
    return this.pending.size;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.o.flushIntervalMs ?? 25);
    this.timer.unref();
  }

  private flush(): void {
    if (!this.open || this.pending.size === 0) return;
    for (const [key, data] of this.pending) {
      if (this.ws.bufferedAmount >= this.o.highWaterBytes) break;
      this.pending.delete(key);
      this.ws.send(data);
    }
    if (this.pending.size === 0) {
      this.congestedSince = 0;
      return;
    }
    if (Date.now() - this.congestedSince > this.o.maxLagMs) return this.onTooSlow();
    this.schedule();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }
}
