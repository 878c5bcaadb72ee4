import type { ClientMessageInput, ServerMessage } from '@pulsehub/contracts';
import { WS_CLOSE } from '@pulsehub/contracts/ws-close';

export type ReadyMessage = Extract<ServerMessage, { type: 'ready' }>;

export interface LiveHandlers {
  onMessage(m: ServerMessage): void;
  onReady?(m: ReadyMessage): void;
  /** The token was refused, revoked or expired (close 4401): ask for another. */
  onAuthFailed?(reason: string): void;
  onStatus?(text: string, connected: boolean): void;
}

/**
 * A /live connection that stays up: it reconnects with backoff, re-subscribes with a resume
 * cursor (the newest `receivedAt` it has per athlete, so the server sends nothing it already
 * has), and treats two missed heartbeats as a dead link.
 */
export class LiveConnection {
  private ws: WebSocket | null = null;
  private athletes = new Set<string>();
  private session: string | undefined;
  private readonly cursor = new Map<string, string>();
  private backoff = 500;
  private watchdog: number | undefined;
  private heartbeatMs = 5000;
  private stopped = false;
  private connectedOnce = false;

  constructor(private readonly token: string, private readonly h: LiveHandlers) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.watchdog);
    this.ws?.close(WS_CLOSE.normal, 'bye');
  }

  subscribe(athletes: string[], session?: string): void {
    for (const a of athletes) this.athletes.add(a);
    if (session) this.session = session;
    const msg: ClientMessageInput = { type: 'subscribe', athletes };
    if (session) msg.session = session;
    this.send(msg);
  }

  unsubscribe(athletes: string[], session?: string): void {
    for (const a of athletes) {
      this.athletes.delete(a);
      this.cursor.delete(a);
    }
    if (session && this.session === session) this.session = undefined;
    const msg: ClientMessageInput = { type: 'unsubscribe', athletes };
    if (session) msg.session = session;
    this.send(msg);
  }

  private send(msg: ClientMessageInput): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private open(): void {
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${proto}://${location.host}/live`);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', token: this.token }));
    ws.onmessage = (e) => {
      this.kick();
      const m = JSON.parse(String(e.data)) as ServerMessage;
      this.track(m);
      if (m.type === 'ready') {
        this.backoff = 500;
        this.heartbeatMs = m.heartbeatMs;
        this.kick();
        this.h.onStatus?.(`live as ${m.subject} (${m.kind})`, true);
        this.h.onReady?.(m);
        if (this.connectedOnce && (this.athletes.size > 0 || this.session)) this.resubscribe();
        this.connectedOnce = true;
      }
      this.h.onMessage(m);
    };
    ws.onclose = (e) => {
      window.clearTimeout(this.watchdog);
      if (this.ws !== ws || this.stopped) return;
      if (e.code === WS_CLOSE.unauthenticated || e.code === WS_CLOSE.authTimeout) {
        this.h.onStatus?.(`token refused — ${e.reason || 'enter another'}`, false);
        this.h.onAuthFailed?.(e.reason);
        return;
      }
      this.h.onStatus?.(e.code === WS_CLOSE.tooSlow ? 'fell behind — catching up…' : 'disconnected — reconnecting…', false);
      window.setTimeout(() => this.open(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 5000);
    };
  }

  /** Two heartbeats without a frame: the link is dead even if the socket does not know yet. */
  private kick(): void {
    window.clearTimeout(this.watchdog);
    this.watchdog = window.setTimeout(() => this.ws?.close(WS_CLOSE.heartbeatMissed, 'heartbeat missed'), this.heartbeatMs * 2.5);
  }

  private track(m: ServerMessage): void {
    const note = (athlete: string, receivedAt: string) => {
      const prev = this.cursor.get(athlete);
      if (!prev || Date.parse(prev) < Date.parse(receivedAt)) this.cursor.set(athlete, receivedAt);
    };
    if (m.type === 'event') note(m.event.userId, m.event.source.receivedAt);
    else if (m.type === 'snapshot') for (const e of m.events) note(m.athlete, e.source.receivedAt);
    else if (m.type === 'revoked') {
      this.athletes.delete(m.athlete);
      this.cursor.delete(m.athlete);
    }
  }

  private resubscribe(): void {
    const athletes = [...this.athletes];
    const resume: Record<string, string> = {};
    for (const a of athletes) {
      const c = this.cursor.get(a);
      if (c) resume[a] = c;
    }
    const msg: ClientMessageInput = { type: 'subscribe', athletes, resume };
    if (this.session) msg.session = this.session;
    this.send(msg);
  }
}
