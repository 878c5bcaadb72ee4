import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { restingHeartRate, timeInZones } from '@pulsehub/physiology';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { maxHrFor, startRollupRefresher, type RollupRefresher } from '../src/index.js';

// The refresher keeps a day's state between passes and reads only what was stored since; a
// late reading makes it read the day again. Whatever the order the readings came in, the stored
// resting HR and zones must be what the formulas give for the whole day (real Postgres and PGlite).

const DAY = '2026-11-18';
const t0 = Date.parse(`${DAY}T05:00:00Z`);
let seq = 0;
function hr(userId: string, offsetS: number, bpm: number): CanonicalEvent {
  const at = new Date(t0 + offsetS * 1000).toISOString();
  return { id: `r-${seq++}`, userId, deviceId: `w-${userId}`, metric: 'heart_rate', time: { at }, values: { bpm: { value: bpm, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: at } };
}

for (const kind of ['postgres', 'pglite'] as const) {
  describe(`rollup refresher, incremental (${kind})`, () => {
    let db: TestDatabase;
    let store: Store;
    let refresher: RollupRefresher;

    beforeAll(async () => {
      db = await createTestDatabase(kind);
      store = await openStore(db.target);
      refresher = startRollupRefresher({ store, logger: pino({ level: 'silent' }), intervalMs: 3_600_000 });
    });
    afterAll(async () => {
      await refresher?.close();
      await store?.close();
      await db?.drop();
    });

    /** Refreshes until the day is current (another transaction on a shared server may hold rows back). */
    async function expectDay(userId: string, all: CanonicalEvent[]): Promise<void> {
      const pts = all.map((e) => ({ at: 'at' in e.time ? e.time.at : e.time.end, bpm: e.values.bpm!.value }));
      const user = await store.users.get(userId);
      const maxHr = maxHrFor(user, DAY, 'tanaka')!;
      const want = { restingHr: Math.round(restingHeartRate(pts)! * 10) / 10, zoneSeconds: timeInZones(pts, maxHr).map((x) => Math.round(x)) };
      for (let i = 0; ; i++) {
        await refresher.refresh();
        const [day] = await store.history.daily({ userId, from: DAY, to: DAY });
        if (day?.current && day.hrCount === all.length) {
          expect({ restingHr: day.restingHr, zoneSeconds: day.zoneSeconds }).toEqual(want);
          return;
        }
        if (i > 100) throw new Error(`day of ${userId} not current after ${i} passes`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }

    it('adds each new batch to the kept day, and reads the whole day again for a late one', async () => {
      await store.users.upsert({ id: 'kim', name: 'Kim', birthYear: 1988 });
      // 45 minutes at 5 s: a calm stretch, then a ramp into the higher zones.
      const all = Array.from({ length: 540 }, (_, i) => hr('kim', i * 5, i < 200 ? 50 + (i % 4) : Math.min(185, 80 + (i - 200) / 3)));
      const batches = [all.slice(0, 150), all.slice(150, 300), all.slice(300, 450)];
      const late = all.slice(450, 540).filter((_, i) => i % 2 === 0);
      const rest = all.slice(450, 540).filter((_, i) => i % 2 === 1);
      const stored: CanonicalEvent[] = [];
      const before = { ...refresher.stats };
      for (const b of batches) {
        await store.observations.commitBatch({ events: b });
        stored.push(...b);
        await expectDay('kim', stored);
      }
      // The first pass read the day whole; the next two only what was new.
      expect(refresher.stats.full - before.full).toBe(1);
      expect(refresher.stats.incremental - before.incremental).toBeGreaterThanOrEqual(2);
      // Every other reading of the last stretch first, then the ones between them (late).
      await store.observations.commitBatch({ events: rest });
      stored.push(...rest);
      await expectDay('kim', stored);
      const full = refresher.stats.full;
      await store.observations.commitBatch({ events: late });
      stored.push(...late);
      await expectDay('kim', stored);
      expect(refresher.stats.full).toBeGreaterThan(full);
      // A redelivery stores nothing and changes nothing.
      await store.observations.commitBatch({ events: batches[1]! });
      await expectDay('kim', stored);
    });

    it('refreshes many athletes and days in one pass, each from its own readings', async () => {
      const ids = ['m1', 'm2', 'm3', 'm4', 'm5'];
      const all = new Map<string, CanonicalEvent[]>();
      for (const [k, id] of ids.entries()) {
        await store.users.upsert({ id, name: id, birthYear: 1970 + k * 7 });
        all.set(id, Array.from({ length: 200 + k * 40 }, (_, i) => hr(id, i * 6, 55 + k * 9 + ((i * (k + 3)) % 70))));
      }
      await store.observations.commitBatch({ events: [...all.values()].flatMap((e) => e.slice(0, 120)) });
      await refresher.refresh();
      await store.observations.commitBatch({ events: [...all.values()].flatMap((e) => e.slice(120)) });
      for (const id of ids) await expectDay(id, all.get(id)!);
    });

    it('goes through the stale days once per pass while athletes keep sending', async () => {
      // 150 athletes: two pages. Each time the refresher asks for stale days, every athlete has
      // sent another reading, so every day is stale again. The pass must still end (it used to
      // start over at the first page until none was stale: under steady writes, never).
      const ids = Array.from({ length: 150 }, (_, i) => `s${String(i).padStart(3, '0')}`);
      for (const id of ids) await store.users.upsert({ id, name: id, birthYear: 1980 });
      let offset = 0;
      const send = () => store.observations.commitBatch({ events: ids.map((id) => hr(id, 10_000 + offset, 70 + (offset % 20))) }).then(() => (offset += 1));
      await send();
      let asked = 0;
      const stale: Store['rollups']['stale'] = async (...args) => {
        if (++asked > 20) throw new Error('the pass does not end');
        const page = await store.rollups.stale(...args);
        await send();
        return page;
      };
      const busy = startRollupRefresher({ store: { ...store, rollups: { ...store.rollups, stale } }, logger: pino({ level: 'silent' }), intervalMs: 3_600_000 });
      try {
        await busy.refresh();
        // Two pages and the empty one after them; each athlete's day once.
        expect(asked).toBe(3);
        expect(busy.stats.full + busy.stats.incremental).toBe(150);
        // The writes during the pass are the next pass's work.
        await busy.refresh();
        expect(asked).toBe(6);
      } finally {
        await busy.close();
      }
    });

    it('starts again when the athlete\'s max HR changes', async () => {
      await store.users.upsert({ id: 'lea', name: 'Lea', birthYear: 1975 });
      const all = Array.from({ length: 300 }, (_, i) => hr('lea', i * 10, 60 + ((i * 7) % 110)));
      await store.observations.commitBatch({ events: all.slice(0, 200) });
      await expectDay('lea', all.slice(0, 200));
      await store.users.upsert({ id: 'lea', name: 'Lea', birthYear: 1999 });
      await store.observations.commitBatch({ events: all.slice(200) });
      await expectDay('lea', all);
    });
  });
}
