import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type Store } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from '../src/testing.js';

// The writer's rollup upsert locks a batch's daily_rollups rows in (user_id, day) order. The
// refresher's batched save must take them in the same order, or the two deadlock: each holds a
// row the other wants, Postgres breaks it after deadlock_timeout (1 s) and that batch's PUBACKs
// wait as long. Here a transaction plays the writer: it holds u1's row, the save waits for it,
// and the writer then takes u2's row — which the save must not have taken first.

const DAY = '2026-11-20';
const hr = (userId: string, i: number): CanonicalEvent => {
  const at = new Date(Date.parse(`${DAY}T08:00:00Z`) + i * 1000).toISOString();
  return { id: `${userId}-${i}`, userId, deviceId: `w-${userId}`, metric: 'heart_rate', time: { at }, values: { bpm: { value: 70 + i, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: at } };
};

describe('refresher save and writer lock rollup rows in the same order (postgres)', () => {
  let db: TestDatabase;
  let store: Store;
  let writer: postgres.Sql;
  let watch: postgres.Sql;
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    store = await openStore(db.target);
    writer = postgres(db.url!, { max: 1, onnotice: () => {} });
    watch = postgres(db.url!, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await writer?.end();
    await watch?.end();
    await store?.close();
    await db?.drop();
  });

  it('a save waiting on one row has not taken the next one', async () => {
    // u2's row first on disk, then u1's: a save in the table's order would take u2 first.
    for (const u of ['u2', 'u1', 'u3']) {
      await store.users.upsert({ id: u, name: u });
      await store.observations.commitBatch({ events: [hr(u, 0), hr(u, 1)] });
    }
    const save = (users: string[]) => store.rollups.saveRefreshMany(users.map((userId) => ({ userId, day: DAY, version: 1, restingHr: 60, zoneSeconds: [1, 2, 3, 4, 5], maxHr: 190 })));
    let saving: Promise<void> | undefined;
    await writer.begin(async (tx) => {
      await tx`update daily_rollups set hr_sum = hr_sum where user_id = 'u1' and day = ${DAY}::date`;
      saving = save(['u3', 'u2', 'u1']);
      saving.catch(() => {});
      // Until the save waits for u1's row.
      for (let i = 0; ; i++) {
        const [w] = await watch`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`;
        if (w!.n > 0) break;
        if (i > 200) throw new Error('the save never waited for the row the writer holds');
        await new Promise((r) => setTimeout(r, 10));
      }
      // The writer goes on to the next row in order; a deadlock would fail this statement or the save.
      await tx`update daily_rollups set hr_sum = hr_sum where user_id in ('u2', 'u3') and day = ${DAY}::date`;
    });
    await saving;
    const rows = await watch<{ user_id: string; refreshed_version: number }[]>`select user_id, refreshed_version from daily_rollups order by user_id`;
    expect(rows.map((r) => [r.user_id, r.refreshed_version])).toEqual([['u1', 1], ['u2', 1], ['u3', 1]]);
  });
});
