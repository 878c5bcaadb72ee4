import { mkdir, open, readdir, readFile, rename, rm, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { SpoolError } from './errors.js';
import { encodeFrame, HEADER_BYTES, readFrame } from './frame.js';
import { acquireLock, releaseLock } from './lock.js';

/**
 * An on-disk, append-only store-and-forward queue (the BLE gateway's readings on their way to
 * the hub; the Home Assistant bridge's states on their way to an external broker).
 *
 * Layout in `dir`: segment files `seg-<first seq, 16 digits>.log` holding length+CRC framed
 * records (see frame.ts), `cursor.json` with the highest sequence number acknowledged (or
 * dropped), and a `lock` file with the owning pid.
 *
 * Durability (fsync policy):
 *  - `fsync: 'always'` (default): `append()` resolves only after the record is written and
 *    `fdatasync`ed, and a new segment's directory entry is fsynced. A reading whose append
 *    resolved survives a crash or power cut.
 *  - `fsync: 'never'`: the OS flushes when it likes (~5 s on Linux); a power cut can lose the
 *    last seconds, a process crash loses nothing. For SD cards that must be spared writes.
 * The cursor is written to a temporary file, fsynced and renamed over `cursor.json`, at most
 * every `cursorFlushMs` and on close. A crash between a PUBACK and the next cursor write
 * therefore re-sends a few already delivered records: delivery is at least once, and the
 * hub stores each reading once by its stable event id.
 *
 * Recovery on open: every segment is read and each frame checked (length, CRC, increasing
 * sequence). The first bad frame ends the segment: the file is truncated there (a torn tail
 * from a crash mid-write) and the loss, if any, is logged. Nothing after a bad frame is ever
 * delivered, so a half-written record cannot reach the hub as a wrong reading.
 *
 * Bounds: at most `maxRecords` records and `maxBytes` payload bytes wait; appending beyond
 * either drops the oldest first, counted in `stats().dropped` and logged (once at the first
 * drop, then at most every `dropLogIntervalMs` with the count since the last line).
 */
export interface DiskQueueOptions {
  readonly dir: string;
  readonly maxRecords?: number;
  readonly maxBytes?: number;
  readonly segmentBytes?: number;
  readonly maxRecordBytes?: number;
  readonly fsync?: 'always' | 'never';
  readonly cursorFlushMs?: number;
  readonly dropLogIntervalMs?: number;
  readonly logger?: Logger;
}

export interface QueueEntry {
  readonly seq: number;
  readonly payload: Buffer;
}

export interface QueueStats {
  readonly pending: number;
  readonly pendingBytes: number;
  readonly dropped: number;
  readonly recoveredTruncatedBytes: number;
  readonly ackedThrough: number;
  readonly nextSeq: number;
}

interface Segment {
  readonly firstSeq: number;
  readonly path: string;
  size: number;
  lastSeq: number;
  reader?: FileHandle;
}

interface Slot {
  readonly seq: number;
  readonly segment: Segment;
  readonly offset: number;
  readonly length: number;
}

const DEFAULTS = {
  maxRecords: 100_000,
  maxBytes: 64 * 1024 * 1024,
  segmentBytes: 4 * 1024 * 1024,
  maxRecordBytes: 256 * 1024,
  fsync: 'always' as const,
  cursorFlushMs: 200,
  dropLogIntervalMs: 60_000,
};

const silentLogger: Logger = pino({ level: 'silent' });

const SEGMENT_RE = /^seg-(\d{16})\.log$/;
const segName = (seq: number): string => `seg-${String(seq).padStart(16, '0')}.log`;

export class DiskQueue {
  private readonly opts: Required<Omit<DiskQueueOptions, 'logger'>>;
  private readonly log: Logger;
  private segments: Segment[] = [];
  private slots: Slot[] = [];
  private head = 0;
  private pendingBytes = 0;
  private ackedThrough = 0;
  private persistedAckedThrough = 0;
  private nextSeq = 1;
  private dropped = 0;
  private droppedSinceLog = 0;
  private lastDropLog = 0;
  private recoveredTruncatedBytes = 0;
  private readonly acked = new Set<number>();
  private writer: FileHandle | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private cursorTimer: NodeJS.Timeout | undefined;
  private cursorWrite: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly listeners = new Set<() => void>();

  private constructor(opts: DiskQueueOptions) {
    this.opts = { ...DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) } as Required<Omit<DiskQueueOptions, 'logger'>>;
    this.log = opts.logger ?? silentLogger;
  }

  static async open(opts: DiskQueueOptions): Promise<DiskQueue> {
    const q = new DiskQueue(opts);
    await mkdir(opts.dir, { recursive: true });
    await acquireLock(opts.dir);
    try {
      await q.recover();
    } catch (err) {
      await releaseLock(opts.dir);
      throw err;
    }
    return q;
  }

  // ---- recovery ----------------------------------------------------------------------

  private async recover(): Promise<void> {
    const { dir } = this.opts;
    try {
      const cursor = JSON.parse(await readFile(join(dir, 'cursor.json'), 'utf8')) as { ackedThrough?: unknown };
      if (typeof cursor.ackedThrough === 'number' && Number.isSafeInteger(cursor.ackedThrough) && cursor.ackedThrough >= 0) {
        this.ackedThrough = cursor.ackedThrough;
      }
    } catch {
      // no cursor yet (first start) or a torn one: rename is atomic, so this is the first start
    }
    this.persistedAckedThrough = this.ackedThrough;
    const names = (await readdir(dir)).filter((n) => SEGMENT_RE.test(n)).sort();
    let prevSeq = 0;
    for (const name of names) {
      const path = join(dir, name);
      const firstSeq = Number(SEGMENT_RE.exec(name)?.[1]);
      const buf = await readFile(path);
      const segment: Segment = { firstSeq, path, size: 0, lastSeq: firstSeq - 1 };
      let offset = 0;
      while (offset < buf.length) {
        const f = readFrame(buf, offset, this.opts.maxRecordBytes);
        const reason = !f.ok ? f.reason : f.seq <= prevSeq || f.seq < firstSeq ? 'sequence_not_increasing' : undefined;
        if (reason !== undefined || !f.ok) {
          const lost = buf.length - offset;
          this.recoveredTruncatedBytes += lost;
          this.log.warn({ segment: name, offset, bytes: lost, reason }, 'queue: truncating a damaged or torn tail');
          await truncate(path, offset);
          break;
        }
        prevSeq = f.seq;
        segment.lastSeq = f.seq;
        if (f.seq > this.ackedThrough) {
          this.slots.push({ seq: f.seq, segment, offset: f.payloadOffset, length: f.length });
          this.pendingBytes += f.length;
        }
        offset = f.next;
      }
      segment.size = offset;
      this.segments.push(segment);
    }
    const lastSeq = Math.max(prevSeq, this.ackedThrough);
    this.nextSeq = lastSeq + 1;
    await this.removeConsumedSegments();
    if (this.slots.length > 0) this.log.info({ pending: this.slots.length, ackedThrough: this.ackedThrough }, 'queue: recovered pending records');
  }

  // ---- append ------------------------------------------------------------------------

  /** Appends one record; resolves with its sequence number once durable (per the fsync policy). */
  async append(payload: Uint8Array): Promise<number> {
    return (await this.appendMany([payload]))[0] as number;
  }

  /**
   * Appends records in order with one write and one fsync per segment they land in; resolves
   * with their sequence numbers once all are durable. A crash mid-write keeps a prefix of them
   * (each frame has its own CRC), never a damaged record.
   */
  appendMany(payloads: readonly Uint8Array[]): Promise<number[]> {
    if (this.closed) return Promise.reject(new SpoolError('PH_GW_QUEUE_CLOSED'));
    const big = payloads.find((p) => p.length > this.opts.maxRecordBytes);
    if (big) {
      return Promise.reject(new SpoolError('PH_GW_QUEUE_RECORD_TOO_LARGE', `record of ${big.length} bytes exceeds maxRecordBytes ${this.opts.maxRecordBytes}`));
    }
    if (payloads.length === 0) return Promise.resolve([]);
    const run = this.tail.then(() => this.appendNow(payloads));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async appendNow(payloads: readonly Uint8Array[]): Promise<number[]> {
    const seqs: number[] = [];
    let i = 0;
    while (i < payloads.length) {
      let seq = this.nextSeq;
      const first = encodeFrame(seq, payloads[i] as Uint8Array);
      let segment = this.segments.at(-1);
      if (!segment || !this.writer || segment.size + first.length > this.opts.segmentBytes) {
        segment = await this.rotate(seq, segment);
      }
      // The frames that fit in this segment (at least one: a record never spans two).
      const frames = [first];
      const added: Slot[] = [{ seq, segment, offset: segment.size + HEADER_BYTES, length: (payloads[i] as Uint8Array).length }];
      let size = segment.size + first.length;
      for (i++; i < payloads.length; i++) {
        const payload = payloads[i] as Uint8Array;
        const frame = encodeFrame(seq + 1, payload);
        if (size + frame.length > this.opts.segmentBytes) break;
        seq++;
        frames.push(frame);
        added.push({ seq, segment, offset: size + HEADER_BYTES, length: payload.length });
        size += frame.length;
      }
      const buf = frames.length === 1 ? first : Buffer.concat(frames);
      const writer = this.writer as FileHandle;
      const { bytesWritten } = await writer.write(buf, 0, buf.length, null);
      if (bytesWritten !== buf.length) throw new Error(`short write: ${bytesWritten} of ${buf.length}`);
      if (this.opts.fsync === 'always') await writer.datasync();
      this.nextSeq = seq + 1;
      for (const slot of added) {
        this.slots.push(slot);
        this.pendingBytes += slot.length;
        seqs.push(slot.seq);
      }
      segment.size = size;
      segment.lastSeq = seq;
    }
    this.enforceBounds();
    for (const l of this.listeners) l();
    return seqs;
  }

  private async rotate(seq: number, current: Segment | undefined): Promise<Segment> {
    // reuse the last segment after a restart if it has room
    if (current && !this.writer && current.size < this.opts.segmentBytes) {
      this.writer = await open(current.path, 'a');
      return current;
    }
    await this.writer?.close();
    const segment: Segment = { firstSeq: seq, path: join(this.opts.dir, segName(seq)), size: 0, lastSeq: seq - 1 };
    this.writer = await open(segment.path, 'a');
    if (this.opts.fsync === 'always') await this.fsyncDir();
    this.segments.push(segment);
    return segment;
  }

  private enforceBounds(): void {
    let droppedNow = 0;
    while (this.pending > this.opts.maxRecords || (this.pendingBytes > this.opts.maxBytes && this.pending > 1)) {
      const slot = this.slots[this.head] as Slot;
      this.ackedThrough = slot.seq;
      this.advance();
      droppedNow++;
    }
    if (droppedNow === 0) return;
    this.dropped += droppedNow;
    this.droppedSinceLog += droppedNow;
    const now = Date.now();
    if (this.lastDropLog === 0 || now - this.lastDropLog >= this.opts.dropLogIntervalMs) {
      this.log.warn(
        { dropped: this.droppedSinceLog, droppedTotal: this.dropped, maxRecords: this.opts.maxRecords, maxBytes: this.opts.maxBytes },
        'queue full: dropped the oldest readings',
      );
      this.lastDropLog = now;
      this.droppedSinceLog = 0;
    }
    this.scheduleCursor();
  }

  // ---- read and ack ------------------------------------------------------------------

  get pending(): number {
    return this.slots.length - this.head;
  }

  /** Up to `limit` pending records with a sequence number above `afterSeq`, oldest first. */
  async read(afterSeq: number, limit: number): Promise<QueueEntry[]> {
    const out: QueueEntry[] = [];
    for (let i = this.head; i < this.slots.length && out.length < limit; i++) {
      const slot = this.slots[i] as Slot;
      if (slot.seq <= afterSeq) continue;
      out.push({ seq: slot.seq, payload: await this.readSlot(slot) });
    }
    return out;
  }

  private async readSlot(slot: Slot): Promise<Buffer> {
    const seg = slot.segment;
    seg.reader ??= await open(seg.path, 'r');
    const buf = Buffer.allocUnsafe(slot.length);
    const { bytesRead } = await seg.reader.read(buf, 0, slot.length, slot.offset);
    if (bytesRead !== slot.length) throw new Error(`queue: short read of record ${slot.seq}`);
    return buf;
  }

  /** Marks a record delivered (after its PUBACK). Acks may arrive out of order; the cursor moves over the contiguous prefix. */
  ack(seq: number): void {
    if (seq <= this.ackedThrough) return;
    this.acked.add(seq);
    let moved = false;
    while (this.head < this.slots.length) {
      const slot = this.slots[this.head] as Slot;
      if (!this.acked.has(slot.seq)) break;
      this.acked.delete(slot.seq);
      this.ackedThrough = slot.seq;
      this.advance();
      moved = true;
    }
    if (moved) this.scheduleCursor();
  }

  private advance(): void {
    const slot = this.slots[this.head] as Slot;
    this.pendingBytes -= slot.length;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.slots.length) {
      this.slots = this.slots.slice(this.head);
      this.head = 0;
    }
  }

  /** Called after each append (used by the forwarder to wake up). */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stats(): QueueStats {
    return {
      pending: this.pending,
      pendingBytes: this.pendingBytes,
      dropped: this.dropped,
      recoveredTruncatedBytes: this.recoveredTruncatedBytes,
      ackedThrough: this.ackedThrough,
      nextSeq: this.nextSeq,
    };
  }

  // ---- cursor ------------------------------------------------------------------------

  private scheduleCursor(): void {
    if (this.cursorTimer || this.closed) return;
    this.cursorTimer = setTimeout(() => {
      this.cursorTimer = undefined;
      void this.flushCursor().catch((err: unknown) => this.log.error({ err }, 'queue: cursor write failed'));
    }, this.opts.cursorFlushMs);
    this.cursorTimer.unref();
  }

  /** Persists the ack cursor now and deletes fully delivered segments. */
  flushCursor(): Promise<void> {
    const next = this.cursorWrite.then(async () => {
      const value = this.ackedThrough;
      if (value === this.persistedAckedThrough) return;
      const tmp = join(this.opts.dir, 'cursor.json.tmp');
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify({ ackedThrough: value }));
        if (this.opts.fsync === 'always') await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, join(this.opts.dir, 'cursor.json'));
      if (this.opts.fsync === 'always') await this.fsyncDir();
      this.persistedAckedThrough = value;
      await this.removeConsumedSegments();
    });
    this.cursorWrite = next.catch(() => undefined);
    return next;
  }

  private async removeConsumedSegments(): Promise<void> {
    // never the segment being written to: its tail is where the next record goes
    while (this.segments.length > 1 && (this.segments[0] as Segment).lastSeq <= this.persistedAckedThrough) {
      const seg = this.segments.shift() as Segment;
      await seg.reader?.close();
      await rm(seg.path, { force: true });
    }
  }

  private async fsyncDir(): Promise<void> {
    const d = await open(this.opts.dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.tail;
    this.closed = true;
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = undefined;
    await this.flushCursor();
    await this.writer?.close();
    this.writer = undefined;
    for (const s of this.segments) await s.reader?.close();
    await releaseLock(this.opts.dir);
  }
}
