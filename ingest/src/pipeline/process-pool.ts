import { Worker } from 'node:worker_threads';
import { parseStampedEventsTopic } from '@pulsehub/contracts';
import type { Logger } from 'pino';
import type { DeviceAdapters } from './adapter-policy.js';
import { createAdapterRegistry, type AdapterRegistry } from '../adapters/registry.js';
import { processMessage, type ProcessResult } from './process.js';
import type { WorkBatch, WorkCrash, WorkReady, WorkResult } from './process-worker.js';

/** A message's result, with the live message of each accepted event (null: stringify it yourself). */
export type Processed = (r: ProcessResult, live: string[] | null) => void;

interface Item {
  topic: string;
  payload: Buffer;
  receivedAt: string;
  device: DeviceAdapters | undefined;
  done: Processed;
  /** How many threads crashed while it was in flight. */
  crashes: number;
  sent: boolean;
  result?: ProcessResult;
  live?: string[] | null;
}

/** One thread and the messages it owes results for, in the order they were given. */
interface Lane {
  worker: Worker;
  /** Messages not yet delivered, oldest first; those from `head` on. */
  items: Item[];
  head: number;
  /** Items from here on have not been sent to the thread. */
  unsent: number;
  batches: Map<number, Item[]>;
  /** A message that was in flight through a crash is on the thread, alone: nothing else is sent until it is answered. */
  probing: boolean;
  /** The thread has loaded its code (see WorkReady). */
  ready: boolean;
  /** Threads in a row that died before they were ready. */
  failedStarts: number;
}

/** Threads in a row that die before they are ready: the pool gives up on threads (see `broken`). */
const MAX_FAILED_STARTS = 3;

/** A message in flight while its thread crashed this many times is kept as a dead letter instead of sent again. */
const MAX_CRASHES = 3;

export interface ProcessPoolStats {
  workers: number;
  batches: number;
  messages: number;
  restarts: number;
  /** Messages processed on the caller's loop (the first of a turn while the threads owe nothing, or all once broken). */
  inline: number;
  /** Threads could not start (MAX_FAILED_STARTS in a row): everything runs on the caller's loop, and it was logged as an error. */
  broken: boolean;
}

/**
 * Validation and adapters (`processMessage`) on worker threads, off the broker's loop (issue 17
 * §4). A device's messages always go to the same thread and come back in the order they were
 * given, so arrival order per device holds. The messages of one turn of the event loop go to a
 * thread as one `postMessage`, their payloads copied once into one transferred buffer.
 *
 * A thread that dies is replaced and the messages it had not answered are sent to the new one
 * (processing is pure, so nothing is stored twice and nothing is lost); a message in flight
 * through `MAX_CRASHES` crashes becomes a `PH_INGEST_ADAPTER_FAILED` dead letter, so a payload
 * that kills its thread cannot stop ingest.
 */
export class ProcessPool {
  private readonly lanes: Lane[] = [];
  private scheduled = false;
  /** A message was processed on the caller's loop in this turn (see `process`). */
  private inlined = false;
  private seq = 0;
  private closed = false;
  readonly stats: ProcessPoolStats;

  constructor(private readonly o: {
    size: number;
    logger: Logger;
    /**
     * The first message of a turn whose thread owes nothing runs on the caller's loop (default
     * true), so a lone reading (an idle hub) does not wait for a thread's round trip.
     */
    inlineLone?: boolean;
    /** Tests only: a payload starting with this kills its thread. */
    crashMarker?: string;
    /** Tests only: every thread dies before it is ready. */
    failStart?: boolean;
  }) {
    if (!Number.isInteger(o.size) || o.size < 1) throw new Error(`ProcessPool: size must be a positive integer, not ${o.size}`);
    this.stats = { workers: o.size, batches: 0, messages: 0, restarts: 0, inline: 0, broken: false };
    for (let i = 0; i < o.size; i++) {
      const lane: Lane = { worker: undefined as unknown as Worker, items: [], head: 0, unsent: 0, batches: new Map(), probing: false, ready: false, failedStarts: 0 };
      this.lanes.push(lane);
      this.start(lane);
    }
  }

  /** Processes one message on the thread of `key` (the publishing device); `done` runs in the order given per key. */
  process(key: string, topic: string, payload: Buffer, receivedAt: string, device: DeviceAdapters | undefined, done: Processed): void {
    const lane = this.lanes[this.lanes.length === 1 ? 0 : hash(key) % this.lanes.length]!;
    if (this.stats.broken || (this.o.inlineLone !== false && !this.inlined && lane.head === lane.items.length)) {
      // Nothing of this thread's is owed, so no earlier message of this device can be overtaken.
      this.inlined = true;
      this.stats.inline++;
      if (!this.stats.broken) this.schedule();
      done(this.runInline(topic, payload, receivedAt, device), null);
      return;
    }
    lane.items.push({ topic, payload, receivedAt, device, done, crashes: 0, sent: false });
    this.schedule();
  }

  /** Test hook: makes thread `i` fail as a fatal error in it would. */
  crash(i = 0): void {
    this.lanes[i]!.worker.postMessage({ crash: true } satisfies WorkCrash);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.lanes.map((l) => l.worker.terminate()));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  /** Sends each thread what it was given in this turn (and what a crashed thread had not answered) as one message. */
  private readonly flush = (): void => {
    this.scheduled = false;
    this.inlined = false;
    if (this.closed) return;
    for (const lane of this.lanes) {
      if (lane.probing) continue;
      const batch: Item[] = [];
      let i = Math.max(lane.unsent, lane.head);
      for (; i < lane.items.length; i++) {
        const item = lane.items[i]!;
        if (item.sent || item.result !== undefined) continue;
        // One that was in flight when its thread died goes alone, so a message that kills
        // threads takes no other down with it; the ones behind it wait for its answer.
        if (item.crashes > 0) {
          if (batch.length === 0) {
            batch.push(item);
            lane.probing = true;
            i++;
          }
          break;
        }
        batch.push(item);
      }
      lane.unsent = i;
      if (batch.length === 0) continue;
      let total = 0;
      for (const item of batch) total += item.payload.length;
      // Not from Buffer's shared pool: its memory is handed over to the thread, not copied again.
      const all = Buffer.allocUnsafeSlow(total);
      const ends = new Int32Array(batch.length);
      let at = 0;
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i]!;
        item.payload.copy(all, at);
        at += item.payload.length;
        ends[i] = at;
        item.sent = true;
      }
      const seq = ++this.seq;
      lane.batches.set(seq, batch);
      const msg: WorkBatch = { seq, topics: batch.map((x) => x.topic), receivedAt: batch.map((x) => x.receivedAt), devices: batch.map((x) => x.device ?? null), payloads: all.buffer as ArrayBuffer, ends };
      lane.worker.postMessage(msg, [all.buffer as ArrayBuffer, ends.buffer as ArrayBuffer]);
      this.stats.batches++;
      this.stats.messages += batch.length;
    }
  };

  private registry: AdapterRegistry | undefined;
  private runInline(topic: string, payload: Buffer, receivedAt: string, device: DeviceAdapters | undefined): ProcessResult {
    return processMessage(topic, payload, receivedAt, (this.registry ??= createAdapterRegistry()), device);
  }

  private start(lane: Lane): void {
    const worker = new Worker(new URL('./process-worker-entry.mjs', import.meta.url), { workerData: { crashMarker: this.o.crashMarker, failStart: this.o.failStart } });
    lane.worker = worker;
    lane.ready = false;
    worker.unref();
    worker.on('message', (m: WorkResult | WorkReady) => {
      if (lane.worker !== worker) return;
      if ('ready' in m) {
        lane.ready = true;
        lane.failedStarts = 0;
        return;
      }
      const batch = lane.batches.get(m.seq);
      if (!batch) return;
      lane.batches.delete(m.seq);
      const results = JSON.parse(m.json) as ProcessResult[];
      let k = 0;
      for (let i = 0; i < batch.length; i++) {
        const item = batch[i]!;
        const r = results[i]!;
        item.result = r;
        if (r.events.length > 0) {
          const live: string[] = [];
          for (let e = 0; e < r.events.length; e++, k += 2) live.push(m.json.slice(m.live[k], m.live[k + 1]));
          item.live = live;
        } else item.live = null;
      }
      lane.probing = false;
      this.deliver(lane);
      if (lane.unsent < lane.items.length) this.schedule();
    });
    worker.on('error', (err) => {
      if (lane.worker !== worker) return;
      this.o.logger.error({ err: err.message }, 'ingest worker thread failed; starting a new one');
    });
    worker.on('exit', (code) => {
      if (lane.worker !== worker || this.closed) return;
      this.restart(lane, code);
    });
  }

  /** A thread died: what it had not answered goes to a new one, in the same order. */
  private restart(lane: Lane, code: number): void {
    this.stats.restarts++;
    lane.batches.clear();
    lane.probing = false;
    // Died before it was ready: its messages never ran, so they are not suspects.
    const started = lane.ready;
    if (!started && ++lane.failedStarts >= MAX_FAILED_STARTS) return this.giveUp(code);
    let lost = 0;
    for (let i = lane.head; i < lane.items.length; i++) {
      const item = lane.items[i]!;
      if (!item.sent || item.result !== undefined) continue;
      item.sent = false;
      lost++;
      if (started && ++item.crashes >= MAX_CRASHES) {
        const ids = parseStampedEventsTopic(item.topic);
        item.result = { userId: ids?.userId ?? null, deviceId: ids?.publisherId ?? null, events: [], rejection: { reason: 'PH_INGEST_ADAPTER_FAILED', detail: `the ingest worker thread died ${item.crashes} times while processing this message (exit code ${code})` } };
        item.live = null;
      }
    }
    this.o.logger.error({ code, unanswered: lost }, 'ingest worker thread exited; its messages go to a new thread');
    lane.unsent = lane.head;
    this.start(lane);
    this.deliver(lane);
    this.schedule();
  }

  /**
   * Threads cannot start here (a broken install, no memory for them): said loudly, and from now
   * on every message is processed on the caller's loop — what the threads owed first, in order.
   */
  private giveUp(code: number): void {
    this.stats.broken = true;
    this.o.logger.error({ code, failedStarts: MAX_FAILED_STARTS }, 'ingest worker threads cannot start; validation and adapters run on the broker\'s loop (PULSEHUB_INGEST_WORKERS has no effect)');
    for (const lane of this.lanes) {
      if (lane.worker) void lane.worker.terminate();
      lane.batches.clear();
      lane.probing = false;
      for (let i = lane.head; i < lane.items.length; i++) {
        const item = lane.items[i]!;
        if (item.result !== undefined) continue;
        item.result = this.runInline(item.topic, item.payload, item.receivedAt, item.device);
        item.live = null;
        this.stats.inline++;
      }
      this.deliver(lane);
    }
  }

  /** Hands on the results at the head of a lane, in order; stops at the first still owed. */
  private deliver(lane: Lane): void {
    while (lane.head < lane.items.length) {
      const item = lane.items[lane.head]!;
      if (item.result === undefined) break;
      lane.items[lane.head] = undefined as unknown as Item;
      lane.head++;
      item.done(item.result, item.live ?? null);
    }
    if (lane.head > 1024 && lane.head * 2 > lane.items.length) {
      lane.items = lane.items.slice(lane.head);
      lane.unsent = Math.max(0, lane.unsent - lane.head);
      lane.head = 0;
    }
  }
}

/** FNV-1a of the key: a device's thread. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
