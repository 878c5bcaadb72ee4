import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { RuleEngine } from '../src/rules/engine.js';

// Every athlete's first reading comes in the same seconds after a start. With a fixed TTL their
// rule contexts (overrides, profile) were all read again in the same second, two queries per
// athlete in one burst. Each context now expires at a random 75–100 % of the TTL.

describe('alert rule contexts expire spread over the last quarter of their TTL (PGlite)', () => {
  let db: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    db = await createTestDatabase('pglite');
    store = await openStore(db.target);
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('loaded together, they are not read again together', async () => {
    const loads = new Map<string, number>();
    const alertRules: Store['alertRules'] = {
      ...store.alertRules,
      list: async (userId) => {
        loads.set(userId, (loads.get(userId) ?? 0) + 1);
        return store.alertRules.list(userId);
      },
    };
    const engine = new RuleEngine({ store: { ...store, alertRules }, logger: pino({ level: 'silent' }), publish: () => {}, contextTtlMs: 10_000 });
    const start = 1_800_000_000_000;
    let now = start;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const users = Array.from({ length: 200 }, (_, i) => `athlete-${i}`);
    const touchAll = () => Promise.all(users.map((u) => engine.paramsFor(u, 'hr-above-zone')));
    const reloaded = () => users.filter((u) => (loads.get(u) ?? 0) > 1).length;

    await touchAll();
    expect(loads.size).toBe(200);
    now = start + 7_400; // before 75 % of the TTL: none is read again
    await touchAll();
    expect(reloaded()).toBe(0);
    now = start + 8_750; // halfway through the last quarter: some are, not all
    await touchAll();
    expect(reloaded()).toBeGreaterThan(0);
    expect(reloaded()).toBeLessThan(200);
    now = start + 10_000; // at the TTL: every one has been read again, once
    await touchAll();
    expect(users.map((u) => loads.get(u))).toEqual(users.map(() => 2));
  });
});
