import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { ClientMessage, WS_CLOSE, isPulseHubError, type ErrorCode, type WsCloseCode, type Principal, type ResumeCursor, type ServerMessage } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import { alertJson, type Store } from '@pulsehub/store';
import type { Logger } from 'pino';
import { visibleAthletes } from '../access.js';
import type { LiveHub, LiveViewer } from './hub.js';
import { sessionInfo, type ClassSessions, type SessionViewer } from './classes.js';
import { hrDerived, powerDerived } from './profile.js';
import { Outbox, type Frame, type OutboxOptions } from './outbox.js';
import { ANONYMOUS, type RefusalAudit } from '../refusals.js';

export interface SessionDeps {
  hub: LiveHub;
  classes: ClassSessions;
  store: Store;
  tokens: TokenService;
  log: Logger;
  heartbeatMs: number;
  authTimeoutMs: number;
  outbox: OutboxOptions;
  startOfToday: () => Date;
  /** Refused authentications and subscriptions go to the audit log (bounded). */
  refusals?: RefusalAudit;
  /** Athletes one connection may follow, per subscribe message and in total (issue 11). */
  maxAthletes: number;
}

/** One WebSocket client of the live gateway. */
export class LiveSession implements LiveViewer, SessionViewer {
  principal: Principal | null = null;
  readonly athletes = new Set<string>();
  readonly classIds = new Set<string>();
  private authTimer: NodeJS.Timeout | null;
  private expiryTimer: NodeJS.Timeout | null = null;
  private readonly out: Outbox;
  private closed = false;

  /** `socket`: the upgraded connection under `ws`, so frames of one turn leave in one write (see `Outbox`). */
  constructor(private readonly ws: WebSocket, private readonly d: SessionDeps, queryToken: string | undefined, socket?: Duplex) {
    this.out = new Outbox(ws, d.outbox, () => this.close(WS_CLOSE.tooSlow, 'client is too far behind'), socket);
    ws.on('message', (data, isBinary) => void this.onMessage(data.toString(), isBinary).catch((err: unknown) => this.fail(err)));
    ws.on('close', () => this.dispose());
    ws.on('error', () => this.dispose());
    this.authTimer = setTimeout(() => this.close(WS_CLOSE.authTimeout, 'authenticate within the time limit'), d.authTimeoutMs);
    // Frames sent right after `open` wait for a `?token=` check still in flight.
    if (queryToken) this.authPending = this.authenticate(queryToken).finally(() => (this.authPending = null));
  }

  private authPending: Promise<void> | null = null;

  get viewerId(): string {
    return this.principal?.subject ?? '';
  }

  get jti(): string | undefined {
    return this.principal?.jti;
  }

  /** Frames the outbox conflated away because this client was behind. */
  get conflated(): number {
    return this.out.conflated;
  }

  sees(athleteId: string): boolean {
    return this.athletes.has(athleteId);
  }

  deliver(key: string, data: Frame): void {
    if (this.holding.size > 0) {
      // Frames of an athlete whose snapshot is loading wait for it (keys start `<athlete>|`).
      const held = this.holding.get(key.slice(0, key.indexOf('|')));
      if (held) {
        held.delete(key);
        held.set(key, data);
        return;
      }
    }
    this.out.delta(key, data);
  }

  /**
   * Live frames that arrived while their athlete's snapshot was loading, by conflation key.
   * Sent right after the snapshot, so a client never applies an older snapshot over a newer
   * reading it was already shown.
   */
  private readonly holding = new Map<string, Map<string, Frame>>();

  control(data: Frame): void {
    this.out.control(data);
  }

  private send(message: ServerMessage): void {
    this.out.control(JSON.stringify(message));
  }

  heartbeat(): void {
    if (this.principal) this.send({ type: 'heartbeat', serverTime: new Date().toISOString() });
  }

  revoke(athleteId: string): void {
    if (!this.athletes.delete(athleteId)) return;
    this.d.hub.remove(athleteId, this);
    this.send({ type: 'revoked', athlete: athleteId });
  }

  /** The close code this side chose, once it closed. */
  closedWith: number | null = null;

  close(code: WsCloseCode, reason: string): void {
    this.dispose();
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) {
      this.closedWith = code;
      this.ws.close(code, reason);
      // A client that stopped reading never reads the close frame either (it sits behind its
      // backlog): give it a moment, then drop the connection instead of waiting 30 s for it.
      if (code === WS_CLOSE.tooSlow) setTimeout(() => this.ws.terminate(), 2000).unref();
    }
  }

  private error(code: ErrorCode, message: string): void {
    this.send({ type: 'error', code, message });
  }

  private fail(err: unknown): void {
    if (isPulseHubError(err)) return this.error(err.code, err.message);
    this.d.log.error({ err }, 'live session error');
    this.error('PH_INTERNAL', 'internal error');
  }

  private async authenticate(token: string): Promise<void> {
    try {
      this.principal = await this.d.tokens.verify(token);
    } catch (err) {
      this.d.log.warn({ err: (err as Error).message }, 'live client refused: bad token');
      this.d.refusals?.record(ANONYMOUS, '/live auth', isPulseHubError(err) ? err.code : 'PH_AUTH_TOKEN_INVALID', { reason: (err as Error).message });
      this.close(WS_CLOSE.unauthenticated, 'invalid or revoked token');
      return;
    }
    if (this.closed) return;
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
    const p = this.principal;
    if (p.expiresAt !== undefined) {
      // A token that expires ends its stream then, not at the next reconnect.
      const ms = Math.max(0, p.expiresAt * 1000 - Date.now());
      this.expiryTimer = setTimeout(() => this.close(WS_CLOSE.unauthenticated, 'token expired'), Math.min(ms, 2 ** 31 - 1));
      this.expiryTimer.unref();
    }
    const athletes = p.kind === 'coach' ? await this.d.store.consents.athletesFor(p.subject) : [...p.users];
    const { staleMs, silenceMs } = this.d.hub.o;
    this.send({ type: 'ready', subject: p.subject, kind: p.kind, athletes, silenceMs, staleMs, heartbeatMs: this.d.heartbeatMs, zoneFloors: [...this.d.hub.zoneFloors] });
  }

  private async onMessage(text: string, isBinary: boolean): Promise<void> {
    if (this.authPending) await this.authPending;
    if (this.closed) return;
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
      if (msg.session) {
        this.classIds.delete(msg.session);
        this.d.classes.removeViewer(msg.session, this);
      }
      return;
    }
    return this.subscribe(p, msg.athletes, msg.session, msg.resume);
  }

  private async subscribe(p: Principal, requested: string[], classId: string | undefined, resume: ResumeCursor | undefined): Promise<void> {
    let wanted = requested;
    if (classId) {
      const row = await this.d.classes.get(classId);
      if (p.kind !== 'admin' && !(p.kind === 'coach' && row.coachId === p.subject)) {
        this.d.log.warn({ viewer: p.subject, session: classId }, 'live subscription refused: not this class session\'s coach');
        this.d.refusals?.record(p, `/live subscribe session ${classId}`, 'PH_AUTH_FORBIDDEN');
        return this.error('PH_AUTH_FORBIDDEN', `class session ${classId} belongs to another coach`);
      }
      wanted = [...new Set([...row.athletes, ...requested])];
      this.send({ type: 'session', session: sessionInfo(row) });
      if (!row.endedAt) {
        this.classIds.add(classId);
        this.d.classes.addViewer(classId, this);
      }
    }
    // Bounded before any lookup: one connection may not make the hub follow every athlete.
    // Athletes of subscribes still loading count too (`pending`), so pipelined messages cannot all pass.
    let following = this.athletes.size;
    for (const a of this.pending) if (!this.athletes.has(a)) following++;
    const added = wanted.filter((a) => !this.athletes.has(a) && !this.pending.has(a));
    if (wanted.length > this.d.maxAthletes || following + added.length > this.d.maxAthletes) {
      this.d.log.warn({ viewer: p.subject, requested: wanted.length, following, limit: this.d.maxAthletes }, 'live subscription refused: athlete limit');
      return this.error('PH_LIVE_SUBSCRIPTION_LIMIT', `at most ${this.d.maxAthletes} athletes per connection (this subscribe names ${wanted.length}, ${following} already followed)`);
    }
    for (const a of added) this.pending.add(a);
    try {
      await this.follow(p, wanted, classId, resume);
    } finally {
      for (const a of added) this.pending.delete(a);
    }
  }

  /** Athletes named by subscribes still loading. */
  private readonly pending = new Set<string>();

  private async follow(p: Principal, wanted: string[], classId: string | undefined, resume: ResumeCursor | undefined): Promise<void> {
    const { allowed, denied } = await visibleAthletes(p, this.d.store, wanted);
    if (denied.length > 0) {
      this.d.log.warn({ viewer: p.subject, denied }, 'live subscription refused for athletes without consent');
      this.d.refusals?.record(p, `/live subscribe ${denied.slice(0, 20).join(',')}`, 'PH_AUTH_FORBIDDEN');
    }
    if (this.closed) return;
    this.send(classId ? { type: 'subscribed', athletes: allowed, denied, session: classId } : { type: 'subscribed', athletes: allowed, denied });
    const since = this.d.startOfToday();
    for (const a of allowed) {
      const fresh = !this.athletes.has(a);
      // Register first so nothing published while the snapshot loads is missed.
      this.athletes.add(a);
      this.d.hub.add(a, this);
      if (!fresh && !classId && !resume?.[a]) continue;
      const held = new Map<string, Frame>();
      this.holding.set(a, held);
      try {
        await this.sendSnapshot(a, since, classId, resume);
      } finally {
        if (this.holding.get(a) === held) this.holding.delete(a);
        if (this.athletes.has(a) && !this.closed) for (const [key, data] of held) this.out.delta(key, data);
      }
    }
  }

  /** The snapshot of one athlete, after the frames registered before it were held (`holding`). */
  private async sendSnapshot(a: string, since: Date, classId: string | undefined, resume: ResumeCursor | undefined): Promise<void> {
    const cursor = resume?.[a] ? Date.parse(resume[a]) : undefined;
    const [all, [user, stepsToday, openAlerts], profile, tally] = await Promise.all([
      this.d.hub.snapshot(a), this.d.hub.athleteFacts(a, since), this.d.hub.profile(a),
      classId ? this.d.classes.tallyOf(classId, a) : Promise.resolve(undefined),
    ]);
    if (!this.athletes.has(a) || this.closed) return; // revoked while loading
    // A resume cursor drops what the client already has: nothing old is replayed.
    const events = cursor === undefined ? all : all.filter((e) => Date.parse(e.source.receivedAt) > cursor);
    const { state, lastAt } = this.d.hub.stateOf(a);
    const snap: ServerMessage = { type: 'snapshot', athlete: a, name: user?.name ?? a, stepsToday, events, profile: { maxHr: profile.maxHr, maxHrSource: profile.maxHrSource, ftpWatts: profile.ftpWatts ?? null }, state, lastAt, battery: this.d.hub.batteryOf(a) };
    if (cursor !== undefined) snap.resumed = true;
    const bpm = all.find((e) => e.metric === 'heart_rate')?.values.bpm?.value;
    if (bpm !== undefined) snap.hr = hrDerived(bpm, profile.maxHr, this.d.hub.zoneFloors);
    const cycling = all.find((e) => e.metric === 'cycling');
    const power = cycling && powerDerived(cycling, profile.ftpWatts);
    if (power) snap.power = power;
    if (tally) snap.tally = tally;
    if (openAlerts.length > 0) snap.alerts = openAlerts.map(alertJson);
    this.send(snap);
  }

  private dispose(): void {
    this.closed = true;
    if (this.authTimer) clearTimeout(this.authTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.authTimer = null;
    this.expiryTimer = null;
    for (const a of this.athletes) this.d.hub.remove(a, this);
    for (const c of this.classIds) this.d.classes.removeViewer(c, this);
    this.athletes.clear();
    this.classIds.clear();
    this.out.dispose();
  }
}
