import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * A frame as it is handed to the socket: a string, or the UTF-8 bytes of one. A frame fanned
 * out to many viewers is encoded once (`Buffer`) and the same bytes are written to every
 * socket; a string would be encoded again for each one.
 */
export type Frame = string | Buffer;

/** Sent as a text frame whatever the type: the bytes are always UTF-8 JSON. */
const TEXT = { binary: false } as const;

/** Above this many bytes written in one turn, a held socket is flushed at once (a burst leaves in chunks, not all at the end). */
const TURN_FLUSH_BYTES = 16 * 1024;

/**
 * Frames written during one turn of the event loop leave a socket in one write. A burst
 * (200 athletes' readings arriving together, each going to 50 boards) would otherwise cost
 * one system call and one TCP segment per frame per board; corked until `setImmediate`, a
 * board gets the turn's frames in one `writev`, and its browser one read. A frame waits at
 * most until the loop finishes the I/O it is processing, or until 16 KB are held.
 */
class TurnWrites {
  private held: Outbox[] = [];
  private scheduled = false;

  hold(o: Outbox): void {
    this.held.push(o);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.release());
  }

  private release(): void {
    this.scheduled = false;
    const held = this.held;
    this.held = [];
    for (const o of held) o.release();
  }
}

const turn = new TurnWrites();

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
  private readonly pending = new Map<string, Frame>();
  /** Corked for this turn (see `TurnWrites`), and bytes written since. */
  private corked = false;
  private turnBytes = 0;
  private congestedSince = 0;
  private timer: NodeJS.Timeout | null = null;
  conflated = 0;

  /**
   * `socket`: the connection under `ws` (the upgraded request's socket); when given, the
   * frames of one turn leave it in one write.
   */
  constructor(private readonly ws: WebSocket, private readonly o: OutboxOptions, private readonly onTooSlow: () => void, private readonly socket?: Duplex) {}

  /** Writes one frame, corking the socket for the rest of this turn. */
  private write(data: Frame): void {
    const s = this.socket;
    if (s && !this.corked && !s.destroyed) {
      s.cork();
      this.corked = true;
      this.turnBytes = 0;
      turn.hold(this);
    }
    if (typeof data === 'string') this.ws.send(data);
    else this.ws.send(data, TEXT);
    if (this.corked && (this.turnBytes += data.length) >= TURN_FLUSH_BYTES) {
      this.turnBytes = 0;
      s!.uncork();
      s!.cork();
    }
  }

  /** End of the turn: what was written leaves now. */
  release(): void {
    if (!this.corked) return;
    this.corked = false;
    // Cork and uncork are counted: undo exactly this turn's one cork.
    this.socket!.uncork();
  }

  private get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** A control frame (snapshot, subscribed, heartbeat…): written in order, never dropped. */
  control(data: Frame): void {
    if (!this.open) return;
    if (this.ws.bufferedAmount > this.o.maxBufferedBytes) return this.onTooSlow();
    this.flush();
    this.write(data);
  }

  /** A delta frame: written at once, or conflated by key while the socket is congested. */
  delta(key: string, data: Frame): void {
    if (!this.open) return;
    if (this.pending.size === 0 && this.ws.bufferedAmount < this.o.highWaterBytes) {
      this.write(data);
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
      this.write(data);
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
