import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, queryStore, sql, type TestDatabase } from '@pulsehub/store/testing';

// A COPY batch the database refuses while its rows are still being sent must leave no
// transaction open on the pooled connection it used: an open (aborted) transaction fails the
// next statement that connection runs, and holds every delta-sync cursor on the server back.

const hr = (i: number, at: string): CanonicalEvent => ({
  id: `hr-${i}`, userId: 'ana', deviceId: 'ana-watch', metric: 'heart_rate', time: { at },
  values: { bpm: { value: 60 + (i % 50), unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: at },
});

describe('COPY path: a refused batch leaves no transaction behind (postgres)', () => {
  let db: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    store = await openStore(db.target);
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('the batch is refused, the pool stays usable and nothing stays in a transaction', async () => {
    const t0 = Date.parse('2026-11-24T08:00:00Z');
    // 5,000 rows (more than a socket buffer), the first of them unstorable: COPY fails early,
    // while the rest are still being written.
    const events = Array.from({ length: 5000 }, (_, i) => hr(i, new Date(t0 + i * 1000).toISOString()));
    events[0] = { ...events[0]!, time: { at: '0000-01-01T00:00:00Z' } };
    await expect(store.observations.commitBatch({ events })).rejects.toMatchObject({});
    // Every pooled connection runs a statement again (an aborted transaction would fail it with 25P02).
    await Promise.all(Array.from({ length: 20 }, () => store.observations.count()));
    const open = await queryStore<{ n: number }>(store, sql`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and pid <> pg_backend_pid() and state like 'idle in transaction%'`);
    expect(open[0]?.n).toBe(0);
    // The good readings still go in.
    expect((await store.observations.commitBatch({ events: events.slice(1) })).inserted).toBe(4999);
  });
});
