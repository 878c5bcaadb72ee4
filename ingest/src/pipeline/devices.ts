import type { Device } from '@pulsehub/store';
import type { Logger } from 'pino';
import type { DeviceAdapters } from './adapter-policy.js';
import { errorFacts } from './commit-errors.js';

export interface DeviceDirectoryOptions {
  lookup(deviceId: string): Promise<Device | undefined>;
  /**
   * How long a device's registration is trusted: a re-registration takes effect within this.
   * Each entry keeps it for a random 75–100 % of it, so devices that connected together (a
   * fleet after a restart) do not all look their registration up again in the same second.
   */
  ttlMs: number;
  /** Delay before retrying a failed lookup (doubles up to 5 s). */
  retryMs: number;
  logger: Logger;
  /** Entries kept at most; idle ones beyond it are forgotten. */
  maxEntries?: number;
}

interface Entry {
  known: boolean;
  device: DeviceAdapters | undefined;
  /** When the registration must be looked up again (ms). */
  expiresAt: number;
  loading: boolean;
  retryMs: number;
  /** Messages of this device waiting for the lookup, in arrival order. */
  queue: ((device: DeviceAdapters | undefined) => void)[];
}

/** A registry row as the adapter policy sees it; a revoked device counts as unregistered. */
export const toPolicy = (row: Device | undefined): DeviceAdapters | undefined =>
  row && !row.revokedAt ? { registered: row.adapter, kind: row.kind, allowed: row.allowedAdapters } : undefined;

/**
 * Registry facts per device for the ingest path. Concurrent cache misses for one device share
 * one in-flight query, and a device's messages run in arrival order: while its lookup is in
 * flight, later messages of that device queue behind it (other devices are not held up).
 * When the database is down, a device seen before keeps its last known registration; a device
 * never seen waits (its messages stay unacknowledged) and the lookup is retried with backoff,
 * because guessing its adapter would dead-letter good data.
 */
export class DeviceDirectory {
  private readonly entries = new Map<string, Entry>();
  lookups = 0;

  constructor(private readonly o: DeviceDirectoryOptions) {}

  /** Runs `fn` with the device's registration, now or once it is known, in per-device order. */
  dispatch(deviceId: string, fn: (device: DeviceAdapters | undefined) => void): void {
    let e = this.entries.get(deviceId);
    if (e && e.known && !e.loading && e.queue.length === 0 && Date.now() < e.expiresAt) {
      fn(e.device);
      return;
    }
    if (!e) {
      if (this.entries.size >= (this.o.maxEntries ?? 100_000)) this.evictIdle();
      e = { known: false, device: undefined, expiresAt: 0, loading: false, retryMs: this.o.retryMs, queue: [] };
      this.entries.set(deviceId, e);
    }
    e.queue.push(fn);
    if (!e.loading) this.load(deviceId, e);
  }

  private load(deviceId: string, e: Entry): void {
    e.loading = true;
    this.lookups++;
    this.o.lookup(deviceId).then(
      (row) => {
        e.known = true;
        e.device = toPolicy(row);
        e.expiresAt = Date.now() + this.o.ttlMs * (0.75 + 0.25 * Math.random());
        e.retryMs = this.o.retryMs;
        this.drain(e);
      },
      (err: unknown) => {
        if (e.known) {
          // Keep what we knew; ask again after a short while rather than on every message.
          e.expiresAt = Date.now() + e.retryMs;
          this.drain(e);
          return;
        }
        this.o.logger.warn({ deviceId, ...errorFacts(err), retryInMs: e.retryMs }, 'device lookup failed; its messages wait');
        setTimeout(() => this.load(deviceId, e), e.retryMs).unref();
        e.retryMs = Math.min(e.retryMs * 2, 5000);
      },
    );
  }

  private drain(e: Entry): void {
    e.loading = false;
    const queue = e.queue;
    e.queue = [];
    for (const fn of queue) fn(e.device);
  }

  private evictIdle(): void {
    for (const [id, e] of this.entries) if (!e.loading && e.queue.length === 0) this.entries.delete(id);
  }
}
