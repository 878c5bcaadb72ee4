import type { Aedes, AedesPublishPacket, Client, PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import { nextBrokerCounter, persistenceOf } from './aedes-internals.js';

/**
 * Shared subscriptions (`$share/<group>/<filter>`, as in MQTT 5 §4.8.2 and Mosquitto, which
 * also offers them to MQTT 3.1.1 clients) on top of Aedes, which has none.
 *
 * Aedes still records the member's subscription under its full `$share/...` name — that keeps
 * SUBACK, UNSUBSCRIBE and persistent-session restore working unchanged, and the literal name
 * never matches a real topic. This module owns the actual routing: one emitter listener per
 * (group, filter); each message goes to exactly one online member, round-robin.
 *
 * - A member that disconnects stops receiving at once; the others take its share.
 * - Persistent-session members (clean session 0, like ingest): QoS 1/2 messages the group
 *   gave them that were still unacknowledged when they dropped are taken out of their
 *   session and delivered to another online member (at least once across the group; MQTT 5
 *   [MQTT-4.8.2-4] would instead keep them for that member's reconnect). With nobody online,
 *   QoS > 0 messages are queued in an offline persistent member's session, as for a plain
 *   subscription.
 * - Clean-session members have no stored session: an in-flight message to a member that
 *   drops is lost with it, as MQTT 5 requires [MQTT-4.8.2-5].
 * - Retained messages are not sent on a shared subscribe (MQTT 5 §4.8.2).
 *
 * Cluster: with the Redis emitter every node sees every message. Given a `claim` (cluster.ts:
 * `SET NX PX` on the group and the message's broker id and counter), a node routes a message
 * only after winning its claim, so each message goes to one member cluster-wide. Nodes with an
 * online member claim at once; a node holding only offline persistent members waits
 * CLAIM_OFFLINE_DELAY_MS first, so an online member anywhere is preferred. Without a claim
 * (in-memory, single node) each node routes among its own members.
 */

export const SHARE_PREFIX = '$share/';

export interface SharedFilter {
  readonly group: string;
  readonly filter: string;
}

/**
 * Splits `$share/<group>/<filter>`. Returns null for anything that is not a valid shared
 * filter: empty group, a group containing `+` or `#`, or an empty filter [MQTT-4.8.2-1] [MQTT-4.8.2-2].
 */
export function parseSharedFilter(topic: string): SharedFilter | null {
  if (!topic.startsWith(SHARE_PREFIX)) return null;
  const rest = topic.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const group = rest.slice(0, slash);
  const filter = rest.slice(slash + 1);
  if (group.includes('+') || group.includes('#') || filter.length === 0) return null;
  return { group, filter };
}

export const isSharedFilter = (topic: string): boolean => topic.startsWith(SHARE_PREFIX);

interface Member {
  readonly clientId: string;
  client: Client | null; // null while a persistent member is offline
  qos: 0 | 1 | 2;
  persistent: boolean;
  /** brokerId:brokerCounter of QoS>0 messages given to it and not yet acknowledged. */
  readonly inflight: Set<string>;
}

interface Group {
  readonly key: string;
  readonly shared: SharedFilter;
  readonly members: Map<string, Member>;
  next: number;
  readonly listener: (packet: AedesPublishPacket, cb: () => void) => void;
}

/** Wins (true) or loses (false) a message for a group, cluster-wide. */
export type ShareClaim = (key: string) => Promise<boolean>;

const CLAIM_OFFLINE_DELAY_MS = 50;

export interface SharedSubscriptions {
  /** A client's SUBSCRIBE (or session restore) to a shared filter was authorized. */
  join(client: Client, shared: SharedFilter, qos: 0 | 1 | 2): void;
  /** Counts for tests and metrics: group → online member ids. */
  snapshot(): Record<string, string[]>;
  close(): void;
}

const keyOf = (s: SharedFilter): string => `${s.group}\u0000${s.filter}`;
const messageKey = (p: { brokerId?: string; brokerCounter?: number }): string => `${p.brokerId ?? ''}:${p.brokerCounter ?? 0}`;
const online = (m: Member): m is Member & { client: Client } => m.client !== null && !m.client.closed;
const startsWithWildcard = (filter: string): boolean => filter.startsWith('+') || filter.startsWith('#');

type Persistence = {
  outgoingStream(client: { id: string }): AsyncIterable<PublishPacket & { brokerId?: string; brokerCounter?: number }>;
  outgoingClearMessageId(client: { id: string }, packet: { messageId?: number }): Promise<unknown>;
  outgoingEnqueueCombi(subs: { clientId: string; topic: string; qos: number }[], packet: unknown): Promise<void>;
};

export function attachSharedSubscriptions(aedes: Aedes, log: Logger, claim?: ShareClaim): SharedSubscriptions {
  const groups = new Map<string, Group>();
  const persistence = persistenceOf<Persistence>(aedes);

  function pick(group: Group): (Member & { client: Client }) | null {
    const list = [...group.members.values()];
    for (let i = 0; i < list.length; i++) {
      const m = list[(group.next + i) % list.length]!;
      if (online(m)) {
        group.next = (group.next + i + 1) % list.length;
        return m;
      }
    }
    return null;
  }

  function deliver(group: Group, packet: AedesPublishPacket, done: () => void): void {
    const member = pick(group);
    const qos = Math.min(packet.qos, member?.qos ?? 0) as 0 | 1 | 2;
    if (member === null) {
      if (packet.qos > 0) return queueOffline(group, packet, done);
      return done();
    }
    if (qos > 0) member.inflight.add(messageKey(packet));
    // Client#publish is Aedes's public per-client delivery: it queues in the member's
    // session first when it has one, then sends (with a fresh packet id) [MQTT-4.3.2-1].
    member.client.publish({ ...packet, qos, retain: false, dup: false } as PublishPacket, () => done());
  }

  function queueOffline(group: Group, packet: AedesPublishPacket, done: () => void): void {
    const offline = [...group.members.values()].filter((m) => m.persistent && m.client === null);
    const target = offline[group.next++ % Math.max(offline.length, 1)];
    if (target === undefined) return done();
    const qos = Math.min(packet.qos, target.qos);
    if (qos === 0) return done();
    persistence
      .outgoingEnqueueCombi([{ clientId: target.clientId, topic: packet.topic, qos }], { ...packet, qos, retain: false })
      .then(done, (err: unknown) => {
        log.warn({ clientId: target.clientId, err: (err as Error).message }, 'shared subscription: offline enqueue failed');
        done();
      });
  }

  /** Routes the message here only if this node wins it (cluster mode). */
  function claimed(group: Group, packet: AedesPublishPacket, done: () => void): void {
    const members = [...group.members.values()];
    const hasOnline = members.some(online);
    if (!hasOnline && !(packet.qos > 0 && members.some((m) => m.persistent))) return done(); // nobody here to take it
    const key = `share:${group.shared.group}:${group.shared.filter}:${messageKey(packet)}`;
    const attempt = () =>
      claim!(key).then(
        (won) => (won ? deliver(group, packet, done) : done()),
        (err: unknown) => {
          // Fail open: a duplicate beats a lost message (ingest writes idempotently).
          log.warn({ group: group.shared.group, err: (err as Error).message }, 'shared subscription: claim failed, delivering here');
          deliver(group, packet, done);
        },
      );
    if (hasOnline) return void attempt();
    // attempt handles its own rejection (fails open), so the timer may drop the promise
    setTimeout(() => void attempt(), CLAIM_OFFLINE_DELAY_MS).unref();
  }

  function groupFor(shared: SharedFilter): Group {
    const key = keyOf(shared);
    const existing = groups.get(key);
    if (existing) return existing;
    const blockDollar = startsWithWildcard(shared.filter);
    const g: Group = {
      key,
      shared,
      members: new Map(),
      next: 0,
      listener: (packet, cb) => {
        // [MQTT-4.7.2-1]: a filter starting with a wildcard does not match `$` topics.
        if (blockDollar && packet.topic.startsWith('$')) return cb();
        if (!claim) return deliver(g, packet, cb);
        claimed(g, packet, cb);
      },
    };
    groups.set(key, g);
    aedes.subscribe(shared.filter, g.listener, () => undefined);
    return g;
  }

  function dropGroupIfEmpty(group: Group): void {
    if (group.members.size > 0) return;
    groups.delete(group.key);
    aedes.unsubscribe(group.shared.filter, group.listener, () => undefined);
  }

  /** Moves a departed persistent member's unacknowledged group messages to the others. */
  async function reassign(member: Member): Promise<void> {
    if (member.inflight.size === 0) return;
    const keys = new Set(member.inflight);
    member.inflight.clear();
    const moved: (PublishPacket & { brokerId?: string; brokerCounter?: number })[] = [];
    for await (const p of persistence.outgoingStream({ id: member.clientId })) {
      if (p.cmd === 'publish' && keys.has(messageKey(p))) moved.push(p);
    }
    for (const p of moved) {
      const group = [...groups.values()].find((g) => g.members.has(member.clientId) && [...g.members.values()].some((m) => m !== member && online(m)));
      if (!group) return; // nobody else online: it stays in the member's session for its return
      await persistence.outgoingClearMessageId({ id: member.clientId }, p);
      // A fresh broker counter: Aedes drops a packet whose counter is not above the last one
      // the receiving client saw from this broker (its duplicate filter).
      const { messageId: _id, ...rest } = p;
      rest.brokerId = aedes.id;
      rest.brokerCounter = nextBrokerCounter(aedes);
      log.debug({ from: member.clientId, topic: p.topic, group: group.shared.group }, 'shared subscription: redelivering unacknowledged message');
      deliver(group, rest as AedesPublishPacket, () => undefined);
    }
  }

  const onAck = (packet: { brokerId?: string; brokerCounter?: number } | undefined, client: Client) => {
    if (!packet) return;
    const k = messageKey(packet);
    for (const g of groups.values()) g.members.get(client.id)?.inflight.delete(k);
  };

  const onDisconnect = (client: Client) => {
    for (const group of [...groups.values()]) {
      const m = group.members.get(client.id);
      if (!m || m.client !== client) continue; // a takeover already re-joined with the new connection
      if (m.persistent) {
        m.client = null;
        reassign(m).catch((err: unknown) => log.warn({ clientId: client.id, err: (err as Error).message }, 'shared subscription: reassign failed'));
      } else {
        group.members.delete(client.id);
        dropGroupIfEmpty(group);
      }
    }
  };

  const onUnsubscribe = (topics: string[], client: Client) => {
    if (client.closed) return; // a closing connection is handled by clientDisconnect
    for (const t of topics) {
      const shared = parseSharedFilter(t);
      const group = shared && groups.get(keyOf(shared));
      if (!group) continue;
      group.members.delete(client.id);
      dropGroupIfEmpty(group);
    }
  };

  aedes.on('ack', onAck as never);
  aedes.on('clientDisconnect', onDisconnect);
  aedes.on('unsubscribe', onUnsubscribe);

  return {
    join(client, shared, qos) {
      const group = groupFor(shared);
      const existing = group.members.get(client.id);
      if (existing) {
        existing.client = client;
        existing.qos = qos;
        existing.persistent = !client.clean;
        return;
      }
      group.members.set(client.id, { clientId: client.id, client, qos, persistent: !client.clean, inflight: new Set() });
    },
    snapshot() {
      const out: Record<string, string[]> = {};
      for (const g of groups.values()) out[`$share/${g.shared.group}/${g.shared.filter}`] = [...g.members.values()].filter(online).map((m) => m.clientId);
      return out;
    },
    close() {
      aedes.off('ack', onAck as never);
      aedes.off('clientDisconnect', onDisconnect);
      aedes.off('unsubscribe', onUnsubscribe);
      for (const g of groups.values()) aedes.unsubscribe(g.shared.filter, g.listener, () => undefined);
      groups.clear();
    },
  };
}
