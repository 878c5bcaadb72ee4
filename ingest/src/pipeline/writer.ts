import type { CanonicalEvent } from '@pulsehub/contracts';
import { readingKey, type CommitResult, type DeadLetterInput, type Store } from '@pulsehub/store';
import type { Logger } from 'pino';
import { describeDbError, driverError, errorFacts, isDataError, sqlState } from './commit-errors.js';

export interface WriterOptions {
  store: Store;
  logger: Logger;
  /** Messages in one batch at most: a full batch is sent at once (or waits for a free commit slot); what comes after starts the next one. */
  maxBatch: number;
  /**
   * 0 or absent (the default): group commit — with no commit in flight a batch is sent at once
   * (at the end of the current turn of the event loop); what arrives while one is in flight is the
   * next batch, sent when it finishes, or at once in the second slot when it reaches `maxBatch`. > 0: the old fixed window — a batch is sent when `maxBatch` messages wait
   * or the oldest waiting one is this many milliseconds old (kept for same-run comparisons).
   */
  maxDelayMs?: number;
  /** Commits sent to the database at once (default 2); acknowledgements still go out in order. */
  maxInFlight?: number;
  /** First retry delay after a failed commit; doubles up to 5 s. */
  retryMs: number;
  /** Records devices as seen (last seen, battery) after a commit; off the acknowledgement path. */
  touchDevices?: (seen: { id: string; at: Date; battery?: number }[]) => Promise<void>;
  /** `health.ok` turns false after this many commits in a row failed (default 3). */
  unhealthyAfter?: number;
  /**
   * Called after each commit with the readings it newly stored (never before the commit, never
   * with a redelivered reading the database already had): the alert rules. Must not block.
   */
  afterCommit?: (events: CanonicalEvent[]) => void;
}

/** A device's "last seen" is written at most this often (battery levels always). */
const TOUCH_EVERY_MS = 10_000;

export interface WriterStats {
  stored: number;
  duplicates: number;
  deadLetters: number;
  failedCommits: number;
  /** Readings the database refused (found by splitting their batch), kept as dead letters. */
  refused: number;
  /** Readings whose id was already stored for the same user with another value (kept as first stored). */
  conflicts: number;
}

/** Where a message came from: what a reading the database refuses is kept as (a dead letter of the raw message). */
export interface MessageSource {
  topic: string;
  payload: Buffer;
  userId: string | null;
  deviceId: string | null;
  /** ISO 8601; turned into a Date only for a dead letter (not on every message). */
  receivedAt: string;
}

export interface WriterHealth {
  /** False after `unhealthyAfter` commits in a row failed: the writer is stuck (the database is away). */
  ok: boolean;
  consecutiveFailedCommits: number;
  /** SQLSTATE or driver code of the last failed commit (no message: it may quote a reading). */
  lastErrorCode: string | null;
  lastFailureAt: string | null;
}

interface Pending {
  events: CanonicalEvent[];
  /** For each event, the index of its message in `sources`. */
  eventSource: number[];
  sources: (MessageSource | undefined)[];
  deadLetters: DeadLetterInput[];
  acks: (() => void)[];
}

/** One part of a batch on its way to the database: a whole batch, or a half of one that failed on its data. */
interface Part {
  events: CanonicalEvent[];
  eventSource: number[];
  deadLetters: DeadLetterInput[];
}

const emptyPending = (): Pending => ({ events: [], eventSource: [], sources: [], deadLetters: [], acks: [] });

/**
 * Batches accepted events and dead letters and commits them together; acknowledges the
 * MQTT messages only after the commit. A commit that fails because the database is away is
 * retried (with backoff) until it succeeds, while the consumer's unacked bound stops intake:
 * nothing is acknowledged that is not stored. A commit the database refuses for its data
 * (see commit-errors.ts) is split in halves until the refused readings are alone; each is kept
 * as a dead letter of its raw message with the database's error, and the rest is stored — a
 * poison reading never holds up the acknowledgements of every device behind it.
 */
export class BatchWriter {
  readonly stats: WriterStats = { stored: 0, duplicates: 0, deadLetters: 0, failedCommits: 0, refused: 0, conflicts: 0 };
  /** Batches waiting for a commit slot, oldest first; the last one is open (still filling), the others are full. */
  private readonly queue: Pending[] = [emptyPending()];
  private waitingMessages = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Group commit: a send is scheduled for the end of this turn of the event loop. */
  private scheduled = false;
  private readonly windowMs: number;
  /** Commits under way (at most `maxInFlight`), so the database works on one batch while the next is sent. */
  private readonly flushing = new Set<Promise<void>>();
  /** The acknowledgements of the newest batch: each batch acknowledges after the one before it, so PUBACKs keep the order of the PUBLISHes. */
  private acked: Promise<void> = Promise.resolve();
  private closed = false;
  /** Users already known to exist, so the per-batch user upsert is skipped for them. */
  private readonly knownUsers = new Set<string>();
  private readonly touchedAt = new Map<string, number>();
  private readonly maxInFlight: number;
  private consecutiveFailures = 0;
  private lastErrorCode: string | null = null;
  private lastFailureAt: string | null = null;

  constructor(private readonly o: WriterOptions) {
    this.maxInFlight = Math.max(1, o.maxInFlight ?? 2);
    this.windowMs = Math.max(0, o.maxDelayMs ?? 0);
  }

  /**
   * Takes one message's events (or its dead letter); `ack` runs once they are stored. `source`
   * is the raw message, kept as a dead letter if the database refuses one of its readings.
   */
  add(events: readonly CanonicalEvent[], deadLetter: DeadLetterInput | null, ack: () => void, source?: MessageSource): void {
    // Closing: a message that arrives now is not acknowledged, so its sender sends it again.
    if (this.closed) return;
    let p = this.queue[this.queue.length - 1]!;
    if (p.acks.length >= this.o.maxBatch) this.queue.push((p = emptyPending()));
    const at = p.sources.length;
    p.sources.push(source);
    for (const e of events) {
      p.events.push(e);
      p.eventSource.push(at);
    }
    if (deadLetter) p.deadLetters.push(deadLetter);
    p.acks.push(ack);
    this.waitingMessages++;
    if (p.acks.length >= this.o.maxBatch) this.kick();
    else if (this.windowMs > 0) this.timer ??= setTimeout(() => this.kick(), this.windowMs);
    else if (!this.scheduled && this.flushing.size === 0) {
      // Group commit: no window. Whatever else arrives in this turn of the loop (the rest of a
      // socket read, other connections' packets) joins the batch; then it is sent.
      this.scheduled = true;
      setImmediate(this.sendScheduled);
    }
    // A commit in flight: the message waits for it to finish (see kick), unless its batch fills.
  }

  private readonly sendScheduled = (): void => {
    this.scheduled = false;
    this.kick();
  };

  get waiting(): number {
    return this.waitingMessages;
  }

  get health(): WriterHealth {
    return {
      ok: this.consecutiveFailures < (this.o.unhealthyAfter ?? 3),
      consecutiveFailedCommits: this.consecutiveFailures,
      lastErrorCode: this.lastErrorCode,
      lastFailureAt: this.lastFailureAt,
    };
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.flushing.size < this.maxInFlight && this.waitingMessages > 0) {
      // Group commit: a batch that is not full goes once the commit in flight is done (it is then
      // what arrived meanwhile); a full one takes the second slot at once.
      if (this.windowMs === 0 && !this.closed && this.flushing.size > 0 && this.queue[0]!.acks.length < this.o.maxBatch) break;
      this.send();
    }
  }

  /** Sends the oldest waiting batch; its acknowledgements follow those of the batch sent before it. */
  private send(): void {
    const batch = this.queue.shift()!;
    if (this.queue.length === 0) this.queue.push(emptyPending());
    this.waitingMessages -= batch.acks.length;
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
      if (this.waitingMessages > 0) this.kick();
    });
    this.flushing.add(flush);
  }

  /**
   * Stores a batch, retrying until it is stored; false when the writer closed first (nothing is
   * acknowledged then). Parts already stored stay stored across retries: only what is left is
   * sent again.
   */
  private async commit(batch: Pending): Promise<boolean> {
    let delay = this.o.retryMs;
    const parts: Part[] = [{ events: batch.events, eventSource: batch.eventSource, deadLetters: batch.deadLetters }];
    /** Refused readings by message index; kept as one dead letter per message. */
    const refused = new Map<number, { ids: string[]; error: string }>();
    for (;;) {
      const part = parts[0];
      if (!part) break;
      try {
        await this.commitPart(part);
        parts.shift();
        this.consecutiveFailures = 0;
      } catch (err) {
        const code = sqlState(err) ?? (driverError(err) as { code?: unknown } | null)?.code;
        const codeText = typeof code === 'string' ? code.slice(0, 40) : null;
        if (isDataError(err)) {
          this.split(parts, part, refused, err, codeText);
          continue;
        }
        this.stats.failedCommits++;
        this.consecutiveFailures++;
        this.lastErrorCode = codeText;
        this.lastFailureAt = new Date().toISOString();
        // Counts and codes only: the error message may quote a reading.
        this.o.logger.error({ code: codeText, events: part.events.length, deadLetters: part.deadLetters.length, consecutive: this.consecutiveFailures, retryInMs: delay }, 'commit failed; will retry (messages stay unacknowledged)');
        this.o.logger.debug({ err: (driverError(err) as Error)?.message }, 'commit failure detail');
        if (this.closed) return false; // the broker redelivers what was not acknowledged
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5000);
      }
    }
    if (refused.size > 0) return this.commit(this.refusedBatch(batch, refused));
    return true;
  }

  /** A part the database refused: its halves go in its place, or, alone, the reading is set aside as refused. */
  private split(parts: Part[], part: Part, refused: Map<number, { ids: string[]; error: string }>, err: unknown, code: string | null): void {
    parts.shift();
    // Events first, then dead letters, halved as one list.
    const items = [...part.events.map((e, i) => ({ e, src: part.eventSource[i]! })), ...part.deadLetters.map((d) => ({ d }))];
    if (items.length > 1) {
      const halves = [items.slice(0, Math.ceil(items.length / 2)), items.slice(Math.ceil(items.length / 2))].map((list): Part => ({
        events: list.flatMap((x) => ('e' in x ? [x.e] : [])),
        eventSource: list.flatMap((x) => ('e' in x ? [x.src] : [])),
        deadLetters: list.flatMap((x) => ('d' in x ? [x.d] : [])),
      }));
      parts.unshift(...halves);
      return;
    }
    this.stats.refused++;
    const event = part.events[0];
    if (!event) {
      // A dead letter the database refused even after its text was made storable: dropped, and said so.
      this.o.logger.error({ code, reason: part.deadLetters[0]?.reason }, 'dead letter refused by the database; dropped');
      return;
    }
    const at = part.eventSource[0] ?? -1;
    const entry = refused.get(at) ?? { ids: [], error: describeDbError(err) };
    entry.ids.push(event.id);
    refused.set(at, entry);
    this.o.logger.warn({ code, deviceId: event.deviceId, userId: event.userId }, 'reading refused by the database; kept as a dead letter');
  }

  /** The dead letters of the refused readings: one per message, its raw bytes and the database's error. */
  private refusedBatch(batch: Pending, refused: Map<number, { ids: string[]; error: string }>): Pending {
    const deadLetters: DeadLetterInput[] = [];
    for (const [at, { ids, error }] of refused) {
      const src = batch.sources[at];
      const first = batch.events[batch.eventSource.indexOf(at)];
      deadLetters.push({
        topic: src?.topic ?? `users/${first?.userId ?? 'unknown'}/events/${first?.deviceId ?? 'unknown'}`,
        deviceId: src?.deviceId ?? first?.deviceId ?? null,
        userId: src?.userId ?? first?.userId ?? null,
        reason: 'PH_INGEST_STORE_REJECTED',
        detail: `${ids.length} reading(s) refused by the database (${ids.map((id) => JSON.stringify(id.slice(0, 128))).join(', ')}): ${error}`,
        // Without the raw message (a writer fed events directly), the refused readings as JSON.
        payload: src?.payload ?? Buffer.from(JSON.stringify(batch.events.filter((_, i) => batch.eventSource[i] === at))),
        receivedAt: src ? new Date(src.receivedAt) : new Date(),
      });
    }
    return { events: [], eventSource: [], sources: [], deadLetters, acks: [] };
  }

  private async commitPart(part: Part): Promise<void> {
    const newUsers = [...new Set(part.events.map((e) => e.userId))].filter((u) => !this.knownUsers.has(u)).sort();
    // One transaction (one statement when there is nothing but readings): users, readings and
    // the daily rollups they change, dead letters.
    const result = await this.o.store.observations.commitBatch({ events: part.events, deadLetters: part.deadLetters, users: newUsers });
    const { inserted, conflicts = 0, conflictIds = [] } = result;
    if (this.o.afterCommit && inserted > 0) this.afterCommit(part.events, result);
    this.stats.stored += inserted;
    this.stats.duplicates += part.events.length - inserted;
    this.stats.deadLetters += part.deadLetters.length;
    for (const u of newUsers) this.knownUsers.add(u);
    if (conflicts > 0) {
      // A redelivery with another value under a stored id: a device reusing ids, or a bug. Ids only, no values.
      this.stats.conflicts += conflicts;
      this.o.logger.warn({ conflicts, ids: conflictIds }, 'readings reuse an id already stored for their user with another value; the stored reading is kept');
    }
  }

  /** Hands the readings this commit newly stored to the after-commit hook. */
  private afterCommit(events: CanonicalEvent[], result: CommitResult): void {
    let fresh: CanonicalEvent[];
    if (result.inserted === events.length) fresh = events;
    else if (result.newKeys) {
      const keys = new Set(result.newKeys);
      // A reading twice in one batch is new once.
      fresh = events.filter((e) => keys.delete(readingKey(e.userId, e.id)));
    } else return; // which ones were new is unknown: fire nothing rather than twice
    try {
      this.o.afterCommit!(fresh);
    } catch (err) {
      this.o.logger.warn(errorFacts(err), 'after-commit hook failed');
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
    touch([...seen.values()]).catch((err: unknown) => this.o.logger.warn(errorFacts(err), 'could not record devices as seen'));
  }

  /** Commits what is waiting (one attempt if the database is down), then stops. */
  async close(): Promise<void> {
    this.closed = true;
    this.kick();
    while (this.flushing.size > 0 || this.waitingMessages > 0) {
      if (this.flushing.size === 0) this.kick();
      await Promise.all(this.flushing);
    }
    await this.acked;
  }
}
