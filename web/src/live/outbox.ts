import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * A frame for a viewer: a string (sent with `ws.send`), or a complete WebSocket text frame
 * already on the wire's layout (`textFrame`). A frame fanned out to many viewers is encoded
 * once as a wire frame and the same bytes go to every socket: `ws.send` would, per viewer,
 * encode the string again, allocate a header and an options object, and make two stream
 * writes — at 50 boards × 200 athletes, a quarter of what the hub allocated.
 */
export type Frame = string | Buffer;

/**
 * A server-to-client text frame (RFC 6455 §5.2): FIN, opcode 1 (text), unmasked (a server
 * never masks), the payload length in 7, 7+16 or 7+64 bits, then the UTF-8 payload.
 */
export function textFrame(json: string): Buffer {
  const n = Buffer.byteLength(json);
  const h = n < 126 ? 2 : n < 65_536 ? 4 : 10;
  const b = Buffer.allocUnsafe(h + n);
  b[0] = 0x81;
  if (h === 2) b[1] = n;
  else if (h === 4) {
    b[1] = 126;
    b.writeUInt16BE(n, 2);
  } else {
    b[1] = 127;
    b.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
    b.writeUInt32BE(n >>> 0, 6);
  }
  b.write(json, h, 'utf8');
  return b;
}

/** The payload of a `textFrame` (for a socket that cannot take the frame as it is). */
export function framePayload(frame: Buffer): Buffer {
  const l = frame[1]! & 0x7f;
  return frame.subarray(l < 126 ? 2 : l === 126 ? 4 : 10);
}

/** Sent as a text frame: the payload is UTF-8 JSON. */
const TEXT = { binary: false } as const;

/** Above this many bytes held in one turn, they are written at once (a burst leaves in chunks, not all at the end). */
const TURN_FLUSH_BYTES = 16 * 1024;

/**
 * Wire frames fanned out during one turn of the event loop leave a socket in one write. A
 * burst (200 athletes' readings arriving together, each going to 50 boards) would otherwise
 * cost one system call and one TCP segment per frame per board; held until `setImmediate`,
 * a board gets the turn's frames in one write, and its browser one read. A frame waits at
 * most until the loop finishes the I/O it is processing, or until 16 KB are held.
 */
class TurnWrites {
  private held: Outbox[] = [];
  private scheduled = false;

  hold(o: Outbox): void {
    this.held.push(o);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.release);
  }

  private readonly release = (): void => {
    this.scheduled = false;
    const held = this.held;
    this.held = [];
    for (const o of held) o.release();
  };
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
  private congestedSince = 0;
  private timer: NodeJS.Timeout | null = null;
  conflated = 0;
  /** Wire frames held for the end of this turn (see `TurnWrites`), and their bytes. */
  private readonly turnFrames: Buffer[] = [];
  private turnBytes = 0;
  private held = false;

  /**
   * `socket`: the connection under `ws` (the upgraded request's socket). Wire frames are
   * written to it directly, the turn's frames in one write; `ws` keeps the handshake, the
   * reading side, control frames and closing. Without it (or with a negotiated extension,
   * which would have to transform the payload) frames go through `ws.send`.
   */
  constructor(private readonly ws: WebSocket, private readonly o: OutboxOptions, private readonly onTooSlow: () => void, private readonly socket?: Duplex) {}

  /** Bytes not yet on the wire: the socket's and `ws`'s buffers, and this turn's held frames. */
  private get unsent(): number {
    return this.ws.bufferedAmount + this.turnBytes;
  }

  private write(data: Frame): void {
    if (typeof data === 'string') {
      this.writeTurn(); // in order: what this turn held goes first
      this.ws.send(data);
      return;
    }
    if (!this.socket || this.ws.extensions !== '') {
      this.ws.send(framePayload(data), TEXT);
      return;
    }
    this.turnFrames.push(data);
    this.turnBytes += data.length;
    if (!this.held) {
      this.held = true;
      turn.hold(this);
    }
    if (this.turnBytes >= TURN_FLUSH_BYTES) this.writeTurn();
  }

  private writeTurn(): void {
    const frames = this.turnFrames;
    if (frames.length === 0) return;
    const bytes = this.turnBytes;
    this.turnBytes = 0;
    // Once `ws` is closing (a close frame sent or received) no data frame may follow.
    if (this.open && !this.socket!.destroyed) this.socket!.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames, bytes));
    frames.length = 0;
  }

  /** End of the turn: what was held leaves now. */
  release(): void {
    this.held = false;
    this.writeTurn();
  }

  private get open(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** A control frame (snapshot, subscribed, heartbeat…): written in order, never dropped. */
  control(data: Frame): void {
    if (!this.open) return;
    if (this.unsent > this.o.maxBufferedBytes) return this.onTooSlow();
    this.flush();
    this.write(data);
  }

  /** A delta frame: written at once, or conflated by key while the socket is congested. */
  delta(key: string, data: Frame): void {
    if (!this.open) return;
    if (this.pending.size === 0 && this.unsent < this.o.highWaterBytes) {
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
      if (this.unsent >= this.o.highWaterBytes) break;
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
    this.turnFrames.length = 0;
    this.turnBytes = 0;
  }
}
