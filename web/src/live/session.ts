import type { WebSocket } from 'ws';
import { ClientMessage, WS_CLOSE, type Principal, type ServerMessage } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import type { Store } from '@pulsehub/store';
import type { Logger } from 'pino';
import { visibleAthletes } from '../access.js';
import type { LiveHub, LiveViewer } from './hub.js';

export interface SessionDeps {
  hub: LiveHub;
  store: Store;
  tokens: TokenService;
  log: Logger;
  silenceMs: number;
  authTimeoutMs: number;
  /** Close a client whose unsent bytes exceed this (it stopped reading). */
  maxBufferedBytes: number;
  startOfToday: () => Date;
}

/** One WebSocket client of the live gateway. */
export class LiveSession implements LiveViewer {
  principal: Principal | null = null;
  readonly athletes = new Set<string>();
  private authTimer: NodeJS.Timeout | null;

  constructor(private readonly ws: WebSocket, private readonly d: SessionDeps, queryToken: string | undefined) {
    ws.on('message', (data, isBinary) => void this.onMessage(data.toString(), isBinary));
    ws.on('close', () => this.dispose());
    ws.on('error', () => this.dispose());
    this.authTimer = setTimeout(() => this.close(WS_CLOSE.authTimeout, 'authenticate within the time limit'), d.authTimeoutMs);
    if (queryToken) void this.authenticate(queryToken);
  }

  get viewerId(): string {
    return this.principal?.subject ?? '';
  }

  get jti(): string | undefined {
    return this.principal?.jti;
  }

  send(message: ServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.d.maxBufferedBytes) {
      this.close(WS_CLOSE.tooSlow, 'client is too far behind');
      return;
    }
    this.ws.send(JSON.stringify(message));
  }

  revoke(athleteId: string): void {
    if (!this.athletes.delete(athleteId)) return;
    this.d.hub.remove(athleteId, this);
    this.send({ type: 'revoked', athlete: athleteId });
  }

  close(code: number, reason: string): void {
    this.dispose();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(code, reason);
  }

  private error(code: string, message: string): void {
    this.send({ type: 'error', code, message });
  }

  private async authenticate(token: string): Promise<void> {
    try {
      this.principal = await this.d.tokens.verify(token);
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message }, 'live client refused: bad token');
      this.close(WS_CLOSE.unauthenticated, 'invalid or revoked token');
      return;
    }
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    const p = this.principal;
    const athletes = p.kind === 'coach' ? await this.d.store.consentedAthletes(p.subject) : [...p.users];
    this.send({ type: 'ready', subject: p.subject, kind: p.kind, athletes, silenceMs: this.d.silenceMs });
  }

  private async onMessage(text: string, isBinary: boolean): Promise<void> {
    let msg: ClientMessage;
    try {
      if (isBinary) throw new Error('binary frames are not part of the protocol');
      msg = ClientMessage.parse(JSON.parse(text));
    } catch (err) {
      this.error('PH_LIVE_BAD_MESSAGE', (err as Error).message.slice(0, 300));
      return;
    }
    if (msg.type === 'ping') {
      this.send(msg.id === undefined ? { type: 'pong', serverTime: new Date().toISOString() } : { type: 'pong', id: msg.id, serverTime: new Date().toISOString() });
      return;
    }
    if (msg.type === 'auth') {
      if (this.principal) return this.error('PH_LIVE_BAD_MESSAGE', 'already authenticated');
      return this.authenticate(msg.token);
    }
    const p = this.principal;
    if (!p) return this.error('PH_LIVE_NOT_AUTHENTICATED', 'send {type:"auth", token} first');
    if (msg.type === 'unsubscribe') {
      for (const a of msg.athletes) {
        this.athletes.delete(a);
        this.d.hub.remove(a, this);
      }
      return;
    }
    const { allowed, denied } = await visibleAthletes(p, this.d.store, msg.athletes);
    if (denied.length > 0) this.d.log.warn({ viewer: p.subject, denied }, 'live subscription refused for athletes without consent');
    this.send({ type: 'subscribed', athletes: allowed, denied });
    const since = this.d.startOfToday();
    for (const a of allowed) {
      if (this.athletes.has(a)) continue;
      this.athletes.add(a);
      // Register first so nothing published while the snapshot loads is missed.
      this.d.hub.add(a, this);
      const [events, user, stepsToday] = await Promise.all([this.d.hub.snapshot(a), this.d.store.getUser(a), this.d.store.stepsSince(a, since)]);
      this.send({ type: 'snapshot', athlete: a, name: user?.name ?? a, stepsToday, events });
    }
  }

  private dispose(): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    for (const a of this.athletes) this.d.hub.remove(a, this);
    this.athletes.clear();
  }
}
