import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { BatchWriter } from '@pulsehub/ingest';

const hr = (i: number): CanonicalEvent => ({
  id: `w-${i}`, userId: 'ana', deviceId: 'w1', metric: 'heart_rate', time: { at: new Date(Date.UTC(2026, 10, 22, 8) + i * 1000).toISOString() },
  values: { bpm: { value: 60 + (i % 50), unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: '2026-11-22T08:00:00.000Z' },
});

describe('BatchWriter on Postgres', () => {
  let tdb: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    tdb = await createTestDatabase('postgres');
    store = await openStore(tdb.target);
    await store.users.ensure(['ana']);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await tdb?.drop();
  });

  it('commits the next batch while one is in flight, and still acknowledges in arrival order', async () => {
    // The real store; its first commit is held back until the second batch is stored.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    let calls = 0;
    const gated: Store = {
      ...store,
      observations: {
        ...store.observations,
        commitBatch: async (batch) => {
          const n = ++calls;
          if (n === 1) await held;
          const r = await store.observations.commitBatch(batch);
          order.push(`stored ${n}`);
          if (n === 2) release();
          return r;
        },
      },
    };
    const writer = new BatchWriter({ store: gated, logger: pino({ level: 'silent' }), maxBatch: 10, maxDelayMs: 1000, retryMs: 50 });
    const acks: number[] = [];
    for (let i = 0; i < 20; i++) writer.add([hr(i)], null, () => acks.push(i));
    await writer.close();
    // Batch 2 reached the database first; nobody was told so before batch 1 was stored too.
    expect(order).toEqual(['stored 2', 'stored 1']);
    expect(acks).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(writer.stats).toMatchObject({ stored: 20, duplicates: 0, failedCommits: 0 });
    expect(await store.observations.count({ userId: 'ana' })).toBe(20);
  });

  it('commits what waits when it closes, and leaves a message that arrives after unacknowledged (its sender sends it again)', async () => {
    const writer = new BatchWriter({ store, logger: pino({ level: 'silent' }), maxBatch: 100, maxDelayMs: 60_000, retryMs: 50 });
    const acked: number[] = [];
    for (let i = 200; i < 205; i++) writer.add([hr(i)], null, () => acked.push(i));
    const closing = writer.close();
    writer.add([hr(205)], null, () => acked.push(205));
    await closing;
    expect(acked).toEqual([200, 201, 202, 203, 204]);
    expect(writer.stats.stored).toBe(5);
  });

  it('with one commit at a time, the second batch waits for the first', async () => {
    const inFlight: number[] = [];
    let now = 0;
    const counting: Store = {
      ...store,
      observations: {
        ...store.observations,
        commitBatch: async (batch) => {
          inFlight.push(++now);
          try {
            return await store.observations.commitBatch(batch);
          } finally {
            now--;
          }
        },
      },
    };
    const writer = new BatchWriter({ store: counting, logger: pino({ level: 'silent' }), maxBatch: 5, maxDelayMs: 1000, retryMs: 50, maxInFlight: 1 });
    for (let i = 100; i < 130; i++) writer.add([hr(i)], null, () => {});
    await writer.close();
    expect(Math.max(...inFlight)).toBe(1);
    expect(writer.stats.stored).toBe(30);
  });
});
