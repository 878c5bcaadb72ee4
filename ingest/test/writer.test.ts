import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { BatchWriter } from '@pulsehub/ingest';
import { waitFor } from '@pulsehub/testkit';

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

  describe('group commit (no batch window, the default)', () => {
    /** The real store, each commit held until released; records what each commit carried. */
    const heldStore = () => {
      const commits: { ids: string[]; release: () => void }[] = [];
      const gated: Store = {
        ...store,
        observations: {
          ...store.observations,
          commitBatch: async (batch) => {
            let release!: () => void;
            const held = new Promise<void>((r) => (release = r));
            commits.push({ ids: batch.events.map((e) => e.id), release });
            await held;
            return store.observations.commitBatch(batch);
          },
        },
      };
      return { gated, commits };
    };
    const turn = () => new Promise<void>((r) => setImmediate(r));
    const until = (what: () => boolean, label: string) => waitFor(what, { timeout: 10_000, what: label, interval: 2 });

    it('sends a lone reading in the same turn of the event loop, with no window to wait out', async () => {
      const { gated, commits } = heldStore();
      const writer = new BatchWriter({ store: gated, logger: pino({ level: 'silent' }), maxBatch: 100, retryMs: 50 });
      const acked: number[] = [];
      writer.add([hr(300)], null, () => acked.push(300));
      expect(commits).toHaveLength(0); // not synchronously: the rest of this turn may join it
      await turn();
      await turn();
      // With any timer (even 1 ms) the commit would not have started yet.
      expect(commits.map((c) => c.ids)).toEqual([['w-300']]);
      expect(acked).toEqual([]); // still acknowledged only after the commit
      commits[0]!.release();
      await until(() => acked.length === 1, 'the acknowledgement');
      expect(await store.observations.count({ userId: 'ana' })).toBeGreaterThanOrEqual(1);
      await writer.close();
    });

    it('batches what arrived while a commit was in flight, a full batch in the second slot, acknowledged in order', async () => {
      const { gated, commits } = heldStore();
      const writer = new BatchWriter({ store: gated, logger: pino({ level: 'silent' }), maxBatch: 5, retryMs: 50 });
      const acked: number[] = [];
      const add = (i: number) => writer.add([hr(i)], null, () => acked.push(i));
      add(400);
      await until(() => commits.length === 1, 'the first commit');
      add(401); // a commit is in flight: waits for it (it is the next batch), no second commit of one reading
      await turn();
      await turn();
      expect(commits).toHaveLength(1);
      for (let i = 402; i < 406; i++) add(i); // …until its batch is full: that one takes the second slot at once
      expect(commits.map((c) => c.ids)).toEqual([['w-400'], ['w-401', 'w-402', 'w-403', 'w-404', 'w-405']]);
      for (let i = 406; i < 414; i++) add(i); // both slots busy: a full batch and a partial one wait
      await turn();
      expect(commits).toHaveLength(2);
      expect(writer.waiting).toBe(8);
      // The second commit finishes first: its slot takes the full batch waiting.
      commits[1]!.release();
      await until(() => commits.length === 3, 'the third commit');
      expect(commits[2]!.ids).toEqual(['w-406', 'w-407', 'w-408', 'w-409', 'w-410']);
      await turn();
      expect(acked).toEqual([]); // nobody is acknowledged before 400 is stored
      commits[0]!.release();
      await until(() => acked.length === 6, 'the acknowledgements of the first two batches');
      await turn();
      expect(commits).toHaveLength(3); // the partial batch waits for the commit still in flight
      commits[2]!.release();
      await until(() => commits.length === 4, 'the fourth commit');
      expect(commits[3]!.ids).toEqual(['w-411', 'w-412', 'w-413']);
      commits[3]!.release();
      await writer.close();
      expect(acked).toEqual(Array.from({ length: 14 }, (_, i) => 400 + i));
      expect(writer.stats).toMatchObject({ stored: 14, duplicates: 0, failedCommits: 0 });
    });

    it('keeps the fixed window when one is configured (the setting before group commit)', async () => {
      const { gated, commits } = heldStore();
      const writer = new BatchWriter({ store: gated, logger: pino({ level: 'silent' }), maxBatch: 100, maxDelayMs: 60_000, retryMs: 50 });
      writer.add([hr(500)], null, () => {});
      await turn();
      await turn();
      expect(commits).toHaveLength(0); // waits for the window (or a full batch)
      const closing = writer.close();
      await until(() => commits.length === 1, 'the commit on close');
      commits[0]!.release();
      await closing;
      expect(writer.stats.stored).toBe(1);
    });
  });
});
