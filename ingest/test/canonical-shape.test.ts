import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CanonicalEventBase } from '@pulsehub/contracts';
import { isCanonicalShape } from '../src/pipeline/canonical-shape.js';
import { FC_SEED, FUZZ_RUNS, mutate, mutation } from './adversarial/arbitraries.js';

const at = '2026-11-24T10:00:00.000Z';
const SEEDS: unknown[] = [
  { id: 'a', userId: 'ana', deviceId: 'w1', metric: 'heart_rate', time: { at }, values: { bpm: { value: 72, unit: '/min' } }, series: { rr: { unit: 'ms', values: [833, 840] } }, source: { adapter: 'pulsehub.v1', receivedAt: at } },
  { id: 'b', userId: 'ana', deviceId: 'w1', metric: 'steps', time: { start: '2026-11-24T09:00:00Z', end: '2026-11-24T10:00:00+01:00' }, values: { count: { value: 1200, unit: '1' } }, source: { adapter: 'garmin.v1', receivedAt: at } },
  { id: 'c', userId: 'ana', deviceId: 'manual', metric: 'food', time: { at }, values: {}, notes: { description: 'soup', meal: 'lunch' }, source: { adapter: 'manual', receivedAt: at } },
];

/** The plain pass may doubt what zod accepts (the caller then asks zod), never accept what zod refuses. */
describe('isCanonicalShape (the one-pass check ingest runs instead of a second zod pass)', () => {
  it('accepts the valid seeds', () => {
    for (const s of SEEDS) {
      expect(CanonicalEventBase.safeParse(s).success).toBe(true);
      expect(isCanonicalShape(s)).toBe(true);
    }
  });

  test.prop([fc.nat({ max: SEEDS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 })], { seed: FC_SEED, numRuns: FUZZ_RUNS ?? 3000 })(
    'never accepts what zod refuses, and what it accepts zod returns unchanged',
    (i, mutations) => {
      const event = mutate(SEEDS[i], mutations);
      if (!isCanonicalShape(event)) return;
      const parsed = CanonicalEventBase.safeParse(event);
      expect(parsed.success).toBe(true);
      expect(parsed.data).toEqual(event);
    },
  );

  it('refuses what zod refuses at the edges', () => {
    const base = SEEDS[0] as Record<string, unknown>;
    const cases: unknown[] = [
      { ...base, extra: 1 },
      { ...base, id: '' },
      { ...base, id: 'x'.repeat(129) },
      { ...base, userId: 'a/b' },
      { ...base, metric: 'toString' },
      { ...base, time: { at: '2026-11-24 10:00' } },
      { ...base, time: { at, start: at, end: at } },
      { ...base, time: { start: '2026-11-24T11:00:00Z', end: '2026-11-24T10:00:00Z' } },
      { ...base, values: { bpm: { value: Infinity, unit: '/min' } } },
      { ...base, values: { bpm: { value: 1, unit: '' } } },
      { ...base, values: [] },
      { ...base, series: { rr: { unit: 'ms', values: new Array(4097).fill(1) } } },
      { ...base, notes: { meal: 'brunch' } },
      { ...base, source: { adapter: 'x', receivedAt: at, more: 1 } },
      Object.assign(Object.create({ inherited: 1 }), base),
    ];
    for (const c of cases) {
      expect(CanonicalEventBase.safeParse(c).success).toBe(false);
      expect(isCanonicalShape(c)).toBe(false);
    }
  });
});
