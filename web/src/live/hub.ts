import mqtt, { type MqttClient } from 'mqtt';
import { CanonicalEventBase, TOPICS, parseLiveTopic, type CanonicalEvent, type ServerMessage } from '@pulsehub/contracts';
import type { Store } from '@pulsehub/store';
import type { Logger } from 'pino';

/** A live viewer: gets messages for the athletes it is subscribed to. */
export interface LiveViewer {
  readonly viewerId: string;
  send(message: ServerMessage): void;
  /** Called when the viewer may no longer see an athlete (consent or token revoked). */
  revoke(athleteId: string): void;
}

/**
 * Receives canonical events from the live topics and fans them out to viewers. Keeps the
 * newest event per athlete and metric, so a new subscriber gets a snapshot at once.
 */
export class LiveHub {
  private readonly latest = new Map<string, Map<string, CanonicalEvent>>();
  private readonly viewers = new Map<string, Set<LiveViewer>>();
  private client: MqttClient | null = null;
  delivered = 0;

  constructor(private readonly store: Store, private readonly log: Logger) {}

  /** Subscribes to every athlete's live topic on the broker. */
  async connect(o: { host: string; port: number; username: string; token: string }): Promise<void> {
    const client = mqtt.connect({ host: o.host, port: o.port, username: o.username, password: o.token, clientId: `pulsehub-web-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, reconnectPeriod: 500, clean: true });
    this.client = client;
    client.on('message', (topic, payload) => this.onLiveMessage(topic, payload));
    client.on('error', (err) => this.log.warn({ err: err.message }, 'live subscription error'));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => {
        client.subscribe(TOPICS.liveFilter, { qos: 0 }, (err) => (err ? reject(err) : resolve()));
      });
      client.once('error', reject);
    });
  }

  private onLiveMessage(topic: string, payload: Buffer): void {
    const userId = parseLiveTopic(topic);
    if (!userId) return;
    let event: CanonicalEvent;
    try {
      event = CanonicalEventBase.parse(JSON.parse(payload.toString('utf8')));
    } catch (err) {
      this.log.warn({ topic, err: (err as Error).message }, 'ignoring malformed live message');
      return;
    }
    if (event.userId !== userId) return;
    this.publish(event);
  }

  /** Delivers one event to the viewers of its athlete and remembers it as the newest. */
  publish(event: CanonicalEvent): void {
    let perMetric = this.latest.get(event.userId);
    if (!perMetric) this.latest.set(event.userId, (perMetric = new Map()));
    const prev = perMetric.get(event.metric);
    if (!prev || instantOf(prev) <= instantOf(event)) perMetric.set(event.metric, event);
    const set = this.viewers.get(event.userId);
    if (!set) return;
    const msg: ServerMessage = { type: 'event', event };
    for (const v of set) {
      v.send(msg);
      this.delivered++;
    }
  }

  /** Newest event per metric: from memory, or from the database after a restart. */
  async snapshot(athleteId: string): Promise<CanonicalEvent[]> {
    const mem = this.latest.get(athleteId);
    if (mem && mem.size > 0) return [...mem.values()];
    const fromDb = await this.store.latestObservations(athleteId);
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

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.endAsync(true);
  }
}

function instantOf(e: CanonicalEvent): number {
  return Date.parse('at' in e.time ? e.time.at : e.time.end);
}
