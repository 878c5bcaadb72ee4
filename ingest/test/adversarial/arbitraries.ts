import { fc } from '@fast-check/vitest';

/**
 * Hostile inputs for every adapter (issue 11): strings Postgres cannot store, instants out of
 * its range, numbers JSON cannot hold, prototype keys, deep nesting, large arrays — alone, and
 * planted into a valid payload of each adapter so the fuzz reaches past the schema.
 */

/** The fixed seed CI runs with (`FC_SEED` overrides), and the number of runs (`FUZZ_RUNS` for long runs). */
export const FC_SEED = Number(process.env.FC_SEED ?? 20261124);
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 0) || undefined;

const HOSTILE_STRINGS = [
  '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83d', '\ud83d\ude00', '', ' ', '__proto__', 'constructor', 'prototype', 'toString',
  '0000-01-01T00:00:00Z', '2026-11-24T10:00:00+23:59', '2026-11-24T10:00:00-16:00', '+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00Z',
  '1899-12-31T23:59:59Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-15:59', '2026-02-30T00:00:00Z', '2026-11-24T24:00:00Z',
  '2026-11-24 10:00:00 +0100', 'NaN', 'Infinity', '1e999', '-0', 'x'.repeat(300), '\\', '"', '\t\n\r', '%00', '../../etc/passwd',
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER, 2 ** 53 + 1, 1e21, -1, 72, 253402300800, 253402300800000, -62135596800, 8.64e15, 8.64e15 + 1),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

export const hostileKey: fc.Arbitrary<string> = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'valueOf', '\u0000', '\ud800', ''), fc.string({ maxLength: 8 }));

/** Arbitrary JSON-ish values built from the hostile leaves. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true },
    hostileString, hostileNumber, fc.boolean(), fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(hostileKey, tie('value'), { maxKeys: 5 })),
})).value;

/** Nested `depth` levels of arrays or objects: the JSON parser and the schemas must not crash on it. */
export const deepNesting = (depth: number, kind: 'array' | 'object'): string =>
  kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Every path to a value in a JSON tree (arrays and objects included). */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

/** Sets an own property even for `__proto__` (plain assignment would change the prototype instead). */
function setOwn(target: Record<string | number, unknown>, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export interface Mutation {
  at: number;
  op: 'replace' | 'add' | 'delete';
  key: string;
  value: unknown;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({ at: fc.nat(), op: fc.constantFrom('replace', 'replace', 'add', 'delete'), key: hostileKey, value: hostileJson });

/** A valid payload with a few values replaced, keys added or removed: reaches each adapter's normalize. */
export function mutate(seed: unknown, mutations: readonly Mutation[]): unknown {
  let root = structuredClone(seed);
  for (const m of mutations) {
    const all = paths(root);
    const path = all[m.at % all.length]!;
    if (path.length === 0) {
      if (m.op === 'replace') root = m.value;
      continue;
    }
    const parent = path.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], root) as Record<string | number, unknown>;
    const key = path.at(-1)!;
    if (m.op === 'replace') setOwn(parent, key, m.value);
    else if (m.op === 'delete') delete parent[key];
    else {
      const target = parent[key];
      if (target && typeof target === 'object' && !Array.isArray(target)) setOwn(target as Record<string, unknown>, m.key, m.value);
      else if (Array.isArray(target)) target.push(m.value);
    }
  }
  return root;
}
