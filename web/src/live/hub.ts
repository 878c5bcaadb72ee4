import mqtt, { type MqttClient } from 'mqtt';
import { z } from 'zod';
import { AlertChange, AlertJson, AnalyzerInsightJson, CanonicalEventBase, GoalMessage, GoalReachedMessage, TOPICS, alertTopic, eventInstant, parseAlertTopic, parseLiveTopic, type AthleteProfile, type CanonicalEvent, type ServerMessage, type SignalState } from '@pulsehub/contracts';
import type { AlertRow, Store, User } from '@pulsehub/store';
import type { Logger } from 'pino';
import { textFrame, type Frame } from './outbox.js';
import { DEFAULT_ZONE_FLOORS, hrDerived, powerDerived, profileOf } from './profile.js';

const GoalFrame = z.discriminatedUnion('type', [GoalMessage, GoalReachedMessage]);

/** A live viewer: gets frames for the athletes it is subscribed to. */
export interface LiveViewer {
  readonly viewerId: string;
  /** A delta frame, conflated by `key` when the viewer is behind. */
  deliver(key: string, data: Frame): void;
  /** Called when the viewer may no longer see an athlete (consent or token revoked). */
  revoke(athleteId: string): void;
}

export interface LiveHubOptions {
  /** `stale` after this much silence… */
  staleMs: number;
  /** …`lost` after this much. */
  silenceMs: number;
  zoneFloors?: readonly number[];
  /** How often silence is checked. */
  sweepMs?: number;
}

/** Metrics whose readings add up (a client sums them): never conflated, each frame counts. */
const ADDITIVE = new Set(['steps', 'distance', 'active_energy']);

type Listener = (event: CanonicalEvent) => void;

const AlertAnnouncement = z.object({ change: AlertChange, alert: AlertJson });
/** An analyzer insight stored by the node that ran the sync, announced to every web node. */
const InsightAnnouncement = z.object({ insight: AnalyzerInsightJson });
function safeJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Receives canonical events from the live topics and fans them out to viewers. Keeps the
 * newest event per athlete and metric (the snapshot), when the hub last heard of each
 * athlete (the live/stale/lost state, from the hub's own clock so device clock skew cannot
 * fake silence), and each athlete's max HR (for % of max and zones). Each frame is
 * serialized once, whatever the number of viewers.
 */
export class LiveHub {
  private readonly latest = new Map<string, Map<string, CanonicalEvent>>();
  private readonly heardAt = new Map<string, number>();
  private readonly states = new Map<string, SignalState>();
  private readonly batteries = new Map<string, { deviceId: string; percent: number }>();
  private readonly profiles = new Map<string, AthleteProfile & { age: number }>();
  private readonly viewers = new Map<string, Set<LiveViewer>>();
  private readonly listeners = new Set<Listener>();
  private readonly sweeper: NodeJS.Timeout;
  private client: MqttClient | null = null;
  readonly zoneFloors: readonly number[];
  delivered = 0;
  received = 0;
  /** Messages the broker sent this hub's MQTT client (alerts only, with `eventsInProcess`). */
  mqttMessages = 0;

  constructor(private readonly store: Store, private readonly log: Logger, readonly o: LiveHubOptions) {
    this.zoneFloors = o.zoneFloors ?? DEFAULT_ZONE_FLOORS;
    this.sweeper = setInterval(() => this.sweep(), o.sweepMs ?? 250);
    this.sweeper.unref();
  }

  /** Canonical events and goal frames reach `publish`/`publishGoal` directly (one process): MQTT carries only alerts here. */
  private eventsInProcess = false;

  /**
   * Subscribes to every athlete's live topic on the broker. With `eventsInProcess`, the
   * intake hands canonical events to `publish` and goal frames to `publishGoal` in this
   * process, and only alert changes and insights are taken from MQTT: the broker then sends
   * this client nothing per reading (it used to get each one, to drop it unparsed).
   */
  async connect(o: { host: string; port: number; username: string; token: string; eventsInProcess?: boolean }): Promise<void> {
    this.eventsInProcess = o.eventsInProcess === true;
    const client = mqtt.connect({ host: o.host, port: o.port, username: o.username, password: o.token, clientId: `pulsehub-web-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, reconnectPeriod: 500, clean: true });
    this.client = client;
    client.on('message', (topic, payload) => this.onLiveMessage(topic, payload));
    // Small frames, latency first (see the broker's listener): no Nagle on our side either.
    client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
    client.on('error', (err) => this.log.warn({ err: err.message }, 'live subscription error'));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => {
        // Alert changes travel like live events: ingest publishes them on live/alerts/<user>.
        client.subscribe(this.eventsInProcess ? [TOPICS.alertsFilter] : [TOPICS.liveFilter, TOPICS.alertsFilter], { qos: 0 }, (err) => (err ? reject(err) : resolve()));
      });
      client.once('error', reject);
    });
  }

  private onLiveMessage(topic: string, payload: Buffer): void {
    this.mqttMessages++;
    const alertUser = parseAlertTopic(topic);
    if (alertUser) {
      this.onAlertMessage(alertUser, payload);
      return;
    }
    const userId = parseLiveTopic(topic);
    if (!userId) return;
    let event: CanonicalEvent;
    try {
      const raw = JSON.parse(payload.toString('utf8')) as { type?: unknown };
      if (raw.type === 'goal' || raw.type === 'goal-reached') {
        this.publishGoal(userId, GoalFrame.parse(raw));
        return;
      }
      event = CanonicalEventBase.parse(raw);
    } catch (err) {
      this.log.warn({ topic, err: (err as Error).message }, 'ignoring malformed live message');
      return;
    }
    if (event.userId !== userId) return;
    this.publish(event);
  }

  /**
   * A goal frame from ingest (sent after the reading that moved it was stored) to the viewers
   * of its athlete: the same viewers, so the same visibility rule, as the athlete's events.
   * Progress of one goal conflates (the newest wins); a goal-reached is never dropped for a newer one.
   */
  publishGoal(athlete: string, msg: GoalMessage | GoalReachedMessage): void {
    if (msg.athlete !== athlete) return;
    const set = this.viewers.get(athlete);
    if (!set || set.size === 0) return;
    const key = msg.type === 'goal' ? `${athlete}|goal|${msg.goalId}` : `${athlete}|goal-reached|${msg.goalId}|${msg.period.start}`;
    this.fanOut(set, key, JSON.stringify(msg));
  }

  /** Delivers one event to the viewers of its athlete and remembers it as the newest. */
  publish(event: CanonicalEvent): void {
    this.received++;
    const a = event.userId;
    let perMetric = this.latest.get(a);
    if (!perMetric) this.latest.set(a, (perMetric = new Map()));
    const prev = perMetric.get(event.metric);
    if (!prev || instantOf(prev) <= instantOf(event)) perMetric.set(event.metric, event);
    this.heardAt.set(a, Date.now());
    if (this.states.get(a) !== 'live') this.setState(a, 'live');
    for (const l of this.listeners) l(event);
    if (event.metric === 'device_battery') {
      const percent = event.values.percent?.value;
      if (percent !== undefined) this.reportBattery(a, event.deviceId, percent);
      return;
    }
    const set = this.viewers.get(a);
    if (!set || set.size === 0) return;
    const msg: ServerMessage = { type: 'event', event };
    const bpm = event.metric === 'heart_rate' ? event.values.bpm?.value : undefined;
    const profile = this.profiles.get(a);
    if (bpm !== undefined && profile) msg.hr = hrDerived(bpm, profile.maxHr, this.zoneFloors);
    const power = profile && powerDerived(event, profile.ftpWatts);
    if (power) msg.power = power;
    const key = ADDITIVE.has(event.metric) ? `${a}|${event.metric}|${event.id}` : `${a}|${event.metric}`;
    this.fanOut(set, key, JSON.stringify(msg));
  }

  private onAlertMessage(userId: string, payload: Buffer): void {
    const json = safeJson(payload);
    if (typeof json === 'object' && json !== null && 'insight' in json) {
      const i = InsightAnnouncement.safeParse(json);
      if (i.success) this.pushInsight(userId, i.data.insight);
      else this.log.warn({ userId }, 'ignoring malformed insight message');
      return;
    }
    const r = AlertAnnouncement.safeParse(json);
    if (!r.success || r.data.alert.userId !== userId) {
      this.log.warn({ userId }, 'ignoring malformed alert message');
      return;
    }
    this.deliverAlert(r.data.change, r.data.alert);
  }

  /**
   * An alert change, to the viewers of its athlete (the set the visibility rule allowed:
   * revoking a consent drops the viewer, and with it the athlete's alerts).
   */
  deliverAlert(change: AlertChange, alert: AlertJson): void {
    const set = this.viewers.get(alert.userId);
    if (!set || set.size === 0) return;
    this.fanOut(set, `${alert.userId}|alert|${alert.id}`, JSON.stringify({ type: 'alert', athlete: alert.userId, change, alert } satisfies ServerMessage));
  }

  /**
   * Announces an alert change made here (an acknowledgement) to every web node: through the
   * broker when connected (this node hears it back like ingest's), else to this node's viewers.
   */
  announceAlert(change: AlertChange, alert: AlertJson): void {
    const c = this.client;
    if (c?.connected) c.publish(alertTopic(alert.userId), JSON.stringify({ change, alert }), { qos: 0 });
    else this.deliverAlert(change, alert);
  }

  /** A device's battery level (from a gateway or device status), shown on tiles when known. */
  reportBattery(athleteId: string, deviceId: string, percent: number): void {
    this.batteries.set(athleteId, { deviceId, percent });
    const set = this.viewers.get(athleteId);
    if (set) this.fanOut(set, `${athleteId}|battery`, JSON.stringify({ type: 'battery', athlete: athleteId, deviceId, percent } satisfies ServerMessage));
  }

  /**
   * An analyzer insight stored here, to the athlete's viewers on every web node: through the
   * broker when connected (this node hears it back on the alerts topic), else to this node's.
   */
  announceInsight(athleteId: string, insight: AnalyzerInsightJson): void {
    const c = this.client;
    if (c?.connected) c.publish(alertTopic(athleteId), JSON.stringify({ insight }), { qos: 0 });
    else this.pushInsight(athleteId, insight);
  }

  /** Pushes an analyzer insight to the athlete's live viewers on this node (they passed the visibility rule when subscribing). */
  pushInsight(athleteId: string, insight: AnalyzerInsightJson): void {
    const set = this.viewers.get(athleteId);
    if (set && set.size > 0) this.fanOut(set, `${athleteId}|insight|${insight.id}`, JSON.stringify({ type: 'insight', athlete: athleteId, insight } satisfies ServerMessage));
  }

  /** Called with every live event (class sessions keep their tallies this way). */
  onEvent(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private fanOut(set: Set<LiveViewer>, key: string, json: string): void {
    // One wire frame: every viewer's socket gets the same bytes.
    const data = textFrame(json);
    for (const v of set) {
      v.deliver(key, data);
      this.delivered++;
    }
  }

  private setState(athleteId: string, state: SignalState): void {
    this.states.set(athleteId, state);
    const set = this.viewers.get(athleteId);
    if (!set) return;
    const at = this.heardAt.get(athleteId);
    this.fanOut(set, `${athleteId}|state`, JSON.stringify({ type: 'state', athlete: athleteId, state, lastAt: at ? new Date(at).toISOString() : null } satisfies ServerMessage));
  }

  private sweep(): void {
    const now = Date.now();
    for (const [a, at] of this.heardAt) {
      const silence = now - at;
      const state: SignalState = silence >= this.o.silenceMs ? 'lost' : silence >= this.o.staleMs ? 'stale' : 'live';
      if (this.states.get(a) !== state) this.setState(a, state);
    }
  }

  /** The athlete's state now: `lost` when the hub has not heard of them since it started. */
  stateOf(athleteId: string): { state: SignalState; lastAt: string | null } {
    const at = this.heardAt.get(athleteId);
    return { state: at === undefined ? 'lost' : (this.states.get(athleteId) ?? 'lost'), lastAt: at === undefined ? null : new Date(at).toISOString() };
  }

  batteryOf(athleteId: string): number | null {
    return this.batteries.get(athleteId)?.percent ?? null;
  }

  /** Max HR and its source; cached (call `forgetProfile` when the user changes). */
  async profile(athleteId: string): Promise<AthleteProfile & { age: number }> {
    let p = this.profiles.get(athleteId);
    if (!p) {
      p = profileOf(await this.shared(`user|${athleteId}`, () => this.store.users.get(athleteId)));
      this.profiles.set(athleteId, p);
    }
    return p;
  }

  forgetProfile(athleteId: string): void {
    this.profiles.delete(athleteId);
  }

  /** Loads in flight by key: viewers asking for the same athlete at once share one query. */
  private readonly inFlight = new Map<string, Promise<unknown>>();

  /**
   * Runs `load` unless the same load is already in flight, whose answer is then shared. After a
   * restart every board reconnects and subscribes again at once (50 boards × 200 athletes in
   * `bench:diy`): without this each asked the database the same questions about each athlete.
   */
  private shared<T>(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.inFlight.get(key);
    if (hit) return hit as Promise<T>;
    const p = load().finally(() => {
      if (this.inFlight.get(key) === p) this.inFlight.delete(key);
    });
    this.inFlight.set(key, p);
    return p;
  }

  /** What a snapshot needs from the database about an athlete beyond its events (shared while in flight). */
  athleteFacts(athleteId: string, since: Date): Promise<[User | undefined, number, AlertRow[]]> {
    return this.shared(`facts|${athleteId}|${since.getTime()}`, () => Promise.all([
      this.store.users.get(athleteId),
      this.store.observations.stepsSince(athleteId, since),
      this.store.alerts.list(athleteId, { open: true, limit: 20 }),
    ]));
  }

  /** Newest event per metric: from memory, or from the database after a restart. */
  async snapshot(athleteId: string): Promise<CanonicalEvent[]> {
    const mem = this.latest.get(athleteId);
    if (mem && mem.size > 0) return [...mem.values()];
    const fromDb = await this.shared(`latest|${athleteId}`, () => this.store.observations.latest(athleteId));
    if (fromDb.length > 0 && !this.latest.has(athleteId)) this.latest.set(athleteId, new Map(fromDb.map((e) => [e.metric, e])));
    return fromDb;
  }

  add(athleteId: string, viewer: LiveViewer): void {
    let set = this.viewers.get(athleteId);
    if (!set) this.viewers.set(athleteId, (set = new Set()));
    set.add(viewer);
  }

  remove(athleteId: string, viewer: LiveViewer): void {
    const set = this.viewers.get(athleteId);
    if (!set) return;
    set.delete(viewer);
    if (set.size === 0) this.viewers.delete(athleteId);
  }

  /** Cuts a viewer off an athlete at once (consent revoked). */
  revokeViewer(athleteId: string, viewerId: string): number {
    let n = 0;
    for (const v of [...(this.viewers.get(athleteId) ?? [])]) {
      if (v.viewerId === viewerId) {
        v.revoke(athleteId);
        n++;
      }
    }
    return n;
  }

  viewerCount(): number {
    let n = 0;
    for (const s of this.viewers.values()) n += s.size;
    return n;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const c = this.client;
    this.client = null;
    if (c) await c.endAsync(true);
  }
}

function instantOf(e: CanonicalEvent): number {
  return Date.parse(eventInstant(e.time));
}
