import { Readable } from 'node:stream';
import memory from 'aedes-persistence';
import { isRefused } from './limits.js';

/**
 * Aedes' in-memory persistence with an indexed outgoing queue.
 *
 * The stock queue is an array searched linearly on every PUBACK and every send of a stored
 * message (`outgoingUpdate`, `outgoingClearMessageId`), so a persistent subscriber with N
 * messages in flight costs O(N) per message — quadratic for ingest, which keeps thousands
 * unacknowledged while a batch commits. Here each session's queue is an insertion-ordered
 * Map with indexes by broker identity and by packet identifier: O(1) per operation, same order.
 *
 * The queue is also bounded per session: past `maxQueued`, the oldest message is dropped and
 * reported through `onDrop`, so one offline persistent client cannot grow the broker without limit.
 */
export interface MemoryPersistenceOptions {
  /** Bound per session, looked up when a message is queued. */
  maxQueued?: (clientId: string) => number;
  onDrop?: (clientId: string) => void;
}

interface StoredPacket {
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
  [key: string]: unknown;
}

type PacketCtor = new (p: unknown) => StoredPacket;
// A CommonJS module whose types declare an ES default: at run time the import is the factory itself.
const memoryFactory = memory as unknown as (() => Record<string, unknown>) & { Packet: PacketCtor };
const Packet = memoryFactory.Packet;

class SessionQueue {
  private seq = 0;
  readonly entries = new Map<number, StoredPacket>();
  private readonly byBroker = new Map<string, number>();
  private readonly byMessageId = new Map<number, number>();
  /** Broker keys of recently dropped messages: sending one of them later is not an error. */
  private readonly dropped = new Set<string>();

  private static key(p: StoredPacket): string {
    return `${p.brokerId}\u0000${p.brokerCounter}`;
  }

  push(p: StoredPacket): void {
    const s = this.seq++;
    this.entries.set(s, p);
    this.byBroker.set(SessionQueue.key(p), s);
    if (p.messageId !== undefined) this.byMessageId.set(p.messageId, s);
  }

  private unindex(s: number, p: StoredPacket): void {
    if (this.byBroker.get(SessionQueue.key(p)) === s) this.byBroker.delete(SessionQueue.key(p));
    if (p.messageId !== undefined && this.byMessageId.get(p.messageId) === s) this.byMessageId.delete(p.messageId);
  }

  dropOldest(): void {
    const first = this.entries.entries().next();
    if (first.done) return;
    const [s, p] = first.value;
    this.entries.delete(s);
    this.unindex(s, p);
    this.dropped.add(SessionQueue.key(p));
    if (this.dropped.size > 4096) this.dropped.delete(this.dropped.values().next().value!);
  }

  /** A message dropped past the bound that aedes still sends: delivered once, no longer kept. */
  wasDropped(packet: StoredPacket): boolean {
    return this.dropped.has(SessionQueue.key(packet));
  }

  /** Same rules as aedes-persistence: the same broker message gets its new packet id; else a packet with that id from another broker is replaced. */
  update(packet: StoredPacket): boolean {
    const s = this.byBroker.get(SessionQueue.key(packet));
    if (s !== undefined) {
      const entry = this.entries.get(s)!;
      if (entry.messageId !== undefined && this.byMessageId.get(entry.messageId) === s) this.byMessageId.delete(entry.messageId);
      entry.messageId = packet.messageId;
      if (packet.messageId !== undefined) this.byMessageId.set(packet.messageId, s);
      return true;
    }
    const m = packet.messageId === undefined ? undefined : this.byMessageId.get(packet.messageId);
    if (m !== undefined) {
      const old = this.entries.get(m)!;
      if (old.brokerId === packet.brokerId) return false;
      this.unindex(m, old);
      this.entries.set(m, packet);
      this.byBroker.set(SessionQueue.key(packet), m);
      this.byMessageId.set(packet.messageId!, m);
      return true;
    }
    return false;
  }

  clear(messageId: number): StoredPacket | undefined {
    const s = this.byMessageId.get(messageId);
    if (s === undefined) return undefined;
    const p = this.entries.get(s)!;
    this.entries.delete(s);
    this.unindex(s, p);
    return p;
  }
}

type Cb = ((err: Error | null, result?: unknown) => void) | undefined;
const settle = <T>(work: () => T, cb: Cb): Promise<T> => {
  try {
    const r = work();
    if (cb) process.nextTick(cb, null, r);
    return Promise.resolve(r);
  } catch (err) {
    if (cb) {
      process.nextTick(cb, err as Error);
      return Promise.resolve(undefined as T);
    }
    return Promise.reject(err as Error);
  }
};

export function createMemoryPersistence(o: MemoryPersistenceOptions = {}): unknown {
  const base = memoryFactory();
  const queues = new Map<string, SessionQueue>();
  const queueOf = (clientId: string) => {
    let q = queues.get(clientId);
    if (!q) queues.set(clientId, (q = new SessionQueue()));
    return q;
  };
  const enqueue = (sub: { clientId: string }, packet: unknown) => {
    const q = queueOf(sub.clientId);
    q.push(new Packet(packet));
    if (o.maxQueued && q.entries.size > o.maxQueued(sub.clientId)) {
      q.dropOldest();
      o.onDrop?.(sub.clientId);
    }
  };
  // Aedes stores a SUBSCRIBE's whole filter list in a persistent session, refused filters
  // included; the ones a limit refused are left out, so a session's stored filters stay bounded.
  const addSubscriptions = (base.addSubscriptions as (client: unknown, subs: object[]) => Promise<unknown>).bind(base);
  return Object.assign(base, {
    addSubscriptions: (client: unknown, subs: object[]) => addSubscriptions(client, subs.filter((s) => !isRefused(s))),
    outgoingEnqueue: (sub: { clientId: string }, packet: unknown, cb?: Cb) => settle(() => enqueue(sub, packet), cb),
    outgoingEnqueueCombi: (subs: { clientId: string }[], packet: unknown, cb?: Cb) => settle(() => {
      for (const sub of subs) enqueue(sub, packet);
    }, cb),
    outgoingUpdate: (client: { id: string }, packet: StoredPacket, cb?: Cb) => settle(() => {
      const q = queueOf(client.id);
      // Throwing here makes aedes drop the connection; a message the bound dropped is just not kept.
      if (!q.update(packet) && !q.wasDropped(packet)) throw new Error('no such packet');
      return undefined;
    }, cb),
    outgoingClearMessageId: (client: { id: string }, packet: { messageId: number }, cb?: Cb) => settle(() => queues.get(client.id)?.clear(packet.messageId), cb),
    outgoingStream: (client: { id: string }) => Readable.from([...(queues.get(client.id)?.entries.values() ?? [])]),
  });
}
