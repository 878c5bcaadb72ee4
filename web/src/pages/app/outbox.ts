import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { PulseHubReading } from '@pulsehub/contracts';

/**
 * The phone's outbox (IndexedDB, so it survives closing the tab): every reading and session
 * is written here first, with its event id, and removed only after the hub acknowledged it
 * (MQTT QoS 1 PUBACK, which the embedded hub sends after the commit). A resend after a lost
 * PUBACK carries the same ids, so the hub stores it once. Keys grow, so order is kept.
 */
interface OutboxDb extends DBSchema {
  outbox: { key: number; value: { reading: PulseHubReading; queuedAt: number } };
}

export type OutboxListener = (waiting: number) => void;

export class Outbox {
  private constructor(private readonly db: IDBPDatabase<OutboxDb>, private readonly listeners = new Set<OutboxListener>()) {}

  static async open(name = 'pulsehub-phone'): Promise<Outbox> {
    const db = await openDB<OutboxDb>(name, 1, {
      upgrade(d) {
        d.createObjectStore('outbox', { autoIncrement: true });
      },
    });
    return new Outbox(db);
  }

  onChange(f: OutboxListener): void {
    this.listeners.add(f);
  }

  async add(reading: PulseHubReading): Promise<void> {
    await this.db.add('outbox', { reading, queuedAt: Date.now() });
    await this.changed();
  }

  async count(): Promise<number> {
    return this.db.count('outbox');
  }

  /** The oldest `limit` entries, in the order they were queued. */
  async head(limit: number): Promise<{ key: number; reading: PulseHubReading }[]> {
    const out: { key: number; reading: PulseHubReading }[] = [];
    let cursor = await this.db.transaction('outbox').store.openCursor();
    while (cursor && out.length < limit) {
      out.push({ key: cursor.key, reading: cursor.value.reading });
      cursor = await cursor.continue();
    }
    return out;
  }

  async remove(keys: readonly number[]): Promise<void> {
    const tx = this.db.transaction('outbox', 'readwrite');
    await Promise.all([...keys.map((k) => tx.store.delete(k)), tx.done]);
    await this.changed();
  }

  private async changed(): Promise<void> {
    const n = await this.count();
    for (const f of this.listeners) f(n);
  }
}
