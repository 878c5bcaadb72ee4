import type { Client } from 'aedes';
import type { Logger } from 'pino';
import type { BrokerSettings } from '../options.js';
import type { BrokerMetrics } from '../metrics.js';
import type { ClientState } from '../context.js';
import { LogThrottle, markRefused, type SubscribeGuard } from '../limits.js';

/**
 * Subscription limits [issue 11]: the filters each client holds (only clients that subscribe
 * get a set), counted as SUBSCRIBE packets are parsed, in arrival order (`guard`, installed by
 * limits.ts's guardSubscribePackets); authorizeSubscribe (hooks/subscribe.ts) then grants or
 * uncounts each filter.
 */
export class SubscriptionLimits {
  private readonly held = new WeakMap<Client, Set<string>>();
  /** Filters counted at parse time that were not held before: uncounted again if the rules refuse them. */
  private readonly reserved = new WeakSet<object>();
  private readonly exemptKinds: Set<string>;
  private readonly refusalLog = new LogThrottle(5_000);

  constructor(
    private readonly settings: BrokerSettings,
    private readonly state: WeakMap<Client, ClientState>,
    private readonly metrics: BrokerMetrics,
    private readonly log: Logger,
  ) {
    this.exemptKinds = new Set<string>(settings.subscriptionLimitExempt);
  }

  /** Longer than maxTopicLength UTF-8 bytes (the byte count is taken only when it could be). */
  topicTooLong(topic: string): boolean {
    return topic.length > this.settings.maxTopicLength / 3 && Buffer.byteLength(topic) > this.settings.maxTopicLength;
  }

  /** Runs at parse time on each SUBSCRIBE packet: refused filters get SUBACK 0x80 in authorizeSubscribe. */
  readonly guard: SubscribeGuard = (client, subscriptions) => {
    const { settings } = this;
    const kind = this.state.get(client)?.access.principal?.kind;
    const exempt = kind !== undefined && this.exemptKinds.has(kind);
    let held = this.held.get(client);
    for (let i = 0; i < subscriptions.length; i++) {
      const sub = subscriptions[i]!;
      if (i >= settings.maxFiltersPerSubscribe) this.refuse(client, sub, 'filters_per_subscribe');
      else if (this.topicTooLong(sub.topic)) this.refuse(client, sub, 'topic_too_long');
      else if (exempt) continue;
      else {
        if (held === undefined) this.held.set(client, (held = new Set()));
        if (held.has(sub.topic)) continue;
        if (held.size >= settings.maxSubscriptionsPerSession) this.refuse(client, sub, 'subscriptions_per_session');
        else {
          held.add(sub.topic);
          this.reserved.add(sub);
        }
      }
    }
  };

  /** A filter granted by the rules. A session restored from persistence is authorized without being parsed: count it too. */
  granted(client: Client, sub: { topic: string }, kind: string | undefined): void {
    if (this.reserved.has(sub) || (kind !== undefined && this.exemptKinds.has(kind))) return;
    let held = this.held.get(client);
    if (held === undefined) this.held.set(client, (held = new Set()));
    held.add(sub.topic);
  }

  /** A filter refused by the rules: uncounted if it was counted at parse time. */
  notGranted(client: Client, sub: { topic: string }): void {
    if (this.reserved.has(sub)) this.held.get(client)?.delete(sub.topic);
  }

  /** UNSUBSCRIBE: the filters are no longer held. */
  released(client: Client, topics: readonly string[]): void {
    const held = this.held.get(client);
    if (held) for (const t of topics) held.delete(t);
  }

  private refuse(client: Client, sub: { topic: string }, reason: string): void {
    markRefused(sub);
    this.metrics.subscribeRefused(reason);
    this.refusalLog.maybe((suppressed) => {
      const p = this.state.get(client)?.access.principal;
      this.log.warn({ clientId: client.id, subject: p?.subject, reason, filter: sub.topic.slice(0, 128), held: this.held.get(client)?.size ?? 0, suppressed }, 'subscribe refused: limit');
    });
  }
}
