import type { CanonicalEvent } from '@pulsehub/contracts';
import type { DeadLetterInput, Store } from '@pulsehub/store';
import type { Logger } from 'pino';

export interface WriterOptions {
  store: Store;
  logger: Logger;
  /** Flush when this many messages wait (a batch grows beyond it while a commit is in flight). */
  maxBatch: number;
  /** …or when the oldest waiting message is this old. */
  maxDelayMs: number;
  /** Commits sent to the database at once (default 2); acknowledgements still go out in order. */
  maxInFlight?: number;
  /** First retry delay after a failed commit; doubles up to 5 s. */
  retryMs: number;
  /** Records devices as seen (last seen, battery) after a commit; off the acknowledgement path. */
  touchDevices?: (seen: { id: string; at: Date; battery?: number }[]) => Promise<void>;
}

/** A device's "last seen" is written at most this often (battery levels always). */
const TOUCH_EVERY_MS = 10_000;

export interface WriterStats {
  stored: number;
  duplicates: number;
  deadLetters: number;
  failedCommits: number;
}

interface Pending {
  events: CanonicalEvent[];
  deadLetters: DeadLetterInput[];
  acks: (() => void)[];
}

/**
 * Batches accepted events and dead letters and commits them together; acknowledges the
 * MQTT messages only after the commit. A failed commit is retried (with backoff) until it
 * succeeds, while the consumer's unacked bound stops intake: nothing is acknowledged that
 * is not stored.
 */
export class BatchWriter {
  readonly stats: WriterStats = { stored: 0, duplicates: 0, deadLetters: 0, failedCommits: 0 };
  private pending: Pending = { events: [], deadLetters: [], acks: [] };
  private timer: NodeJS.Timeout | null = null;
  /** Commits under way (at most `maxInFlight`), so the database works on one batch while the next is sent. */
  private readonly flushing = new Set<Promise<void>>();
  /** The acknowledgements of the newest batch: each batch acknowledges after the one before it, so PUBACKs keep the order of the PUBLISHes. */
  private acked: Promise<void> = Promise.resolve();
  private closed = false;
  /** Users already known to exist, so the per-batch user upsert is skipped for them. */
  private readonly knownUsers = new Set<string>();
  private readonly touchedAt = new Map<string, number>();
  private readonly maxInFlight: number;

  constructor(private readonly o: WriterOptions) {
    this.maxInFlight = Math.max(1, o.maxInFlight ?? 2);
  }

  add(events: readonly CanonicalEvent[], deadLetter: DeadLetterInput | null, ack: () => void): void {
    // Closing: a message that arrives now is not acknowledged, so its sender sends it again.
    if (this.closed) return;
    const p = this.pending;
    for (const e of events) p.events.push(e);
    if (deadLetter) p.deadLetters.push(deadLetter);
    p.acks.push(ack);
    if (p.acks.length >= this.o.maxBatch) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.o.maxDelayMs);
  }

  get waiting(): number {
    return this.pending.acks.length;
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.flushing.size >= this.maxInFlight || this.pending.acks.length === 0) return;
    const batch = this.pending;
    this.pending = { events: [], deadLetters: [], acks: [] };
    const stored = this.commit(batch);
    const before = this.acked;
    this.acked = (async () => {
      const ok = await stored;
      await before;
      if (!ok) return;
      for (const ack of batch.acks) ack();
      this.touch(batch.events);
    })();
    const flush: Promise<void> = stored.then(() => {
      this.flushing.delete(flush);
      // What arrived during the commit is the next batch: send it at once.
      if (this.pending.acks.length > 0) this.kick();
    });
    this.flushing.add(flush);
  }

  /** Stores a batch, retrying until it is stored; false when the writer closed first (nothing is acknowledged then). */
  private async commit(batch: Pending): Promise<boolean> {
    let delay = this.o.retryMs;
    for (;;) {
      try {
        const newUsers = [...new Set(batch.events.map((e) => e.userId))].filter((u) => !this.knownUsers.has(u)).sort();
        // One transaction (one statement when there is nothing but readings): users, readings and
        // the daily rollups they change, dead letters.
        const { inserted } = await this.o.store.commitBatch({ events: batch.events, deadLetters: batch.deadLetters, users: newUsers });
        this.stats.stored += inserted;
        this.stats.duplicates += batch.events.length - inserted;
        this.stats.deadLetters += batch.deadLetters.length;
        for (const u of newUsers) this.knownUsers.add(u);
        return true;
      } catch (err) {
        this.stats.failedCommits++;
        this.o.logger.error({ err: (err as Error).message, events: batch.events.length, retryInMs: delay }, 'commit failed; will retry (messages stay unacknowledged)');
        if (this.closed) return false; // the broker redelivers what was not acknowledged
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private touch(events: readonly CanonicalEvent[]): void {
    const touch = this.o.touchDevices;
    if (!touch || events.length === 0) return;
    const now = Date.now();
    const seen = new Map<string, { id: string; at: Date; battery?: number }>();
    for (const e of events) {
      const battery = e.metric === 'device_battery' ? e.values.percent?.value : undefined;
      if (battery === undefined && now - (this.touchedAt.get(e.deviceId) ?? 0) < TOUCH_EVERY_MS) continue;
      const prev = seen.get(e.deviceId);
      seen.set(e.deviceId, { id: e.deviceId, at: new Date(now), ...(battery !== undefined ? { battery: Math.round(battery) } : prev?.battery !== undefined ? { battery: prev.battery } : {}) });
    }
    if (seen.size === 0) return;
    for (const id of seen.keys()) this.touchedAt.set(id, now);
    if (this.touchedAt.size > 100_000) this.touchedAt.clear();
    touch([...seen.values()]).catch((err: unknown) => this.o.logger.warn({ err: (err as Error).message }, 'could not record devices as seen'));
  }

  /** Commits what is waiting (one attempt if the database is down), then stops. */
  async close(): Promise<void> {
    this.closed = true;
    this.kick();
    while (this.flushing.size > 0 || this.pending.acks.length > 0) {
      if (this.flushing.size === 0) this.kick();
      await Promise.all(this.flushing);
    }
    await this.acked;
  }
}
