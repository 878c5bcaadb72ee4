import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { CanonicalEvent, ERROR_CODES, storableProblems } from '@pulsehub/contracts';
import { createAdapterRegistry, processMessage, type DeviceAdapters } from '@pulsehub/ingest';
import { deepNesting, FC_SEED, FUZZ_RUNS, hostileJson, mutate, mutation } from './arbitraries.js';
import { SEEDS } from './seeds.js';

const registry = createAdapterRegistry();
const TOPIC = 'users/fz/events/fz-device';

/** An input as bytes on the wire: a JSON value, or raw bytes (not always UTF-8, not always JSON). */
const wire = (v: unknown): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v) ?? 'null'));

/** What every message must come to: accepted events that the database can store, or a reason from the catalog. */
function expectWellFormedOutcome(adapter: string, payload: Buffer): void {
  const device: DeviceAdapters = { registered: adapter, kind: 'other', allowed: null };
  const r = processMessage(TOPIC, payload, '2026-11-24T10:00:00.000Z', registry, device);
  if (r.rejection) expect(Object.keys(ERROR_CODES)).toContain(r.rejection.reason);
  for (const e of r.events) {
    expect(storableProblems(e)).toEqual([]);
    expect(CanonicalEvent.safeParse(e).success).toBe(true);
    expect(e.userId).toBe('fz');
  }
}

// Issue 11: every adapter's input, fuzzed without a database (fast; the pipeline test below stores them).
describe.each(registry.ids())('adversarial input to %s: nothing throws, every outcome is storable or a coded rejection', (adapter) => {
  const seed = SEEDS[adapter];
  const runs = { seed: FC_SEED, numRuns: FUZZ_RUNS ?? 150 };

  test('has a seed payload that it accepts', () => {
    expect(seed, `add a valid ${adapter} payload to seeds.ts`).toBeDefined();
    const r = processMessage(TOPIC, wire(seed), '2026-11-24T10:00:00.000Z', registry, { registered: adapter, kind: 'other', allowed: null });
    expect(r.rejection).toBeNull();
    expect(r.events.length).toBeGreaterThan(0);
  });

  test.prop([fc.array(mutation, { minLength: 1, maxLength: 4 })], runs)('mutated valid payloads', (ms) => {
    expectWellFormedOutcome(adapter, wire(mutate(seed, ms)));
  });

  test.prop([hostileJson], runs)('arbitrary JSON-ish values', (v) => {
    expectWellFormedOutcome(adapter, wire(v));
  });

  test.prop([fc.uint8Array({ maxLength: 200 })], { ...runs, numRuns: Math.ceil(runs.numRuns / 3) })('raw bytes', (bytes) => {
    expectWellFormedOutcome(adapter, Buffer.from(bytes));
  });

  test('deep nesting and large arrays', () => {
    for (const depth of [100, 5000, 100_000]) {
      expectWellFormedOutcome(adapter, Buffer.from(deepNesting(depth, 'array')));
      expectWellFormedOutcome(adapter, Buffer.from(deepNesting(depth, 'object')));
    }
    expectWellFormedOutcome(adapter, wire({ format: adapter, readings: Array.from({ length: 5000 }, (_, i) => ({ metric: 'heart_rate', values: { bpm: 60 + (i % 50) } })) }));
    expectWellFormedOutcome(adapter, wire(Array.from({ length: 50_000 }, () => 1)));
  });
});
