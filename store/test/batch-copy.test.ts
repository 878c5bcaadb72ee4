import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, queryStore, type TestDatabase } from '@pulsehub/store/testing';
import { sql } from 'drizzle-orm';

// The Postgres COPY path must store exactly what the one-statement path (PGlite, and Postgres for
// small or conflicting batches) stores: the same rows and the same daily rollups.

const hr = (i: number, userId: string, at: string, bpm: number): CanonicalEvent => ({
  id: `hr-${userId}-${i}`, userId, deviceId: `${userId}-watch`, metric: 'heart_rate', time: { at }, values: { bpm: { value: bpm, unit: '/min' } },
  ...(i % 7 === 0 ? { series: { rr: { unit: 'ms', values: [810, 790.5] } } } : {}),
  source: { adapter: 'pulsehub.v1', receivedAt: at },
});
const steps = (i: number, userId: string, start: string, end: string, count: number): CanonicalEvent => ({
  id: `st-${userId}-${i}`, userId, deviceId: `${userId}-watch`, metric: 'steps', time: { start, end }, values: { count: { value: count, unit: '{steps}' } },
  source: { adapter: 'pulsehub.v1', receivedAt: end },
});

/** 600 readings of two users across a UTC midnight, some times written with an offset, ids with characters COPY must escape. */
function readings(from: number, to: number): CanonicalEvent[] {
  const out: CanonicalEvent[] = [];
  const t0 = Date.parse('2026-11-21T23:50:00Z');
  for (let i = from; i < to; i++) {
    const user = i % 2 === 0 ? 'ana' : 'ben';
    const at = new Date(t0 + i * 2000);
    // Every fifth reading says its time in +02:00: the day is still the UTC one.
    const iso = i % 5 === 0 ? new Date(at.getTime() + 2 * 3600_000).toISOString().replace('Z', '+02:00') : at.toISOString();
    if (i % 3 === 0) out.push(steps(i, user, iso, new Date(at.getTime() + 1000).toISOString(), 10 + (i % 13)));
    else out.push(hr(i, user, iso, 55 + (i % 90) + (i % 4) / 4));
  }
  out.push({ ...hr(to, 'ana', new Date(t0).toISOString(), 60), id: `odd\tid\\with\nbreaks-é心-${from}` });
  return out;
}

async function snapshot(store: Store) {
  const obs = await queryStore<Record<string, unknown>>(store, sql`
    select id, user_id, device_id, metric, time_start, time_end, "values", series, adapter, received_at from observations order by id`);
  const days = await queryStore<Record<string, unknown>>(store, sql`
    select user_id, day::text, steps, hr_count, hr_sum, hr_min, hr_max, hr_version from daily_rollups order by user_id, day`);
  return { obs: obs.map((r): Record<string, unknown> => ({ ...r, time_start: new Date(r.time_start as string).toISOString(), time_end: new Date(r.time_end as string).toISOString(), received_at: new Date(r.received_at as string).toISOString() })), days };
}

describe('Postgres COPY path for ingest batches', () => {
  let pg: TestDatabase;
  let lite: TestDatabase;
  let fast: Store;
  let reference: Store;
  beforeAll(async () => {
    [pg, lite] = await Promise.all([createTestDatabase('postgres'), createTestDatabase('pglite')]);
    [fast, reference] = await Promise.all([openStore(pg.target), openStore(lite.target)]);
    for (const s of [fast, reference]) await s.users.ensure(['ana', 'ben']);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([fast?.close(), reference?.close()]);
    await Promise.all([pg?.drop(), lite?.drop()]);
  });

  it('stores a large batch with COPY: the same rows and rollups as the one-statement path', async () => {
    const batch = readings(0, 600);
    expect(await fast.observations.commitBatch({ events: batch })).toEqual({ inserted: 601 });
    expect(await reference.observations.commitBatch({ events: batch })).toEqual({ inserted: 601 });
    expect(fast.observations.commitStats).toEqual({ copied: 1, fellBack: 0 });
    expect(reference.observations.commitStats.copied).toBe(0);
    const [a, b] = await Promise.all([snapshot(fast), snapshot(reference)]);
    expect(a.obs).toHaveLength(601);
    expect(a.obs.find((r) => String(r.id).startsWith('odd'))?.id).toBe('odd\tid\\with\nbreaks-é心-0');
    expect(a.days.length).toBeGreaterThanOrEqual(4); // two users × two UTC days
    expect(a).toEqual(b);
  });

  it('a duplicate inside one batch fails the COPY and is stored once by the idempotent path', async () => {
    const batch = readings(900, 1200);
    const twice = [...batch, ...batch.slice(0, 10)];
    expect(await fast.observations.commitBatch({ events: twice })).toEqual({ inserted: 301 });
    expect(await reference.observations.commitBatch({ events: twice })).toEqual({ inserted: 301 });
    expect(fast.observations.commitStats).toEqual({ copied: 1, fellBack: 1 });
    expect(await snapshot(fast)).toEqual(await snapshot(reference));
  });

  it('a batch holding stored readings stores only the new ones and counts nothing twice', async () => {
    const overlapping = readings(300, 900); // 300 already stored, 300 new, and one more odd id
    expect(await fast.observations.commitBatch({ events: overlapping })).toEqual({ inserted: 301 });
    expect(await reference.observations.commitBatch({ events: overlapping })).toEqual({ inserted: 301 });
    // The fast path rests after a conflict: this batch went the idempotent way at once.
    expect(fast.observations.commitStats).toEqual({ copied: 1, fellBack: 1 });
    expect(await snapshot(fast)).toEqual(await snapshot(reference));
  });
});
