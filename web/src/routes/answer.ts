import type { z } from 'zod';

/** A value as JSON.stringify sends it: a Date becomes its ISO string, recursively. */
export type Json<V> = V extends Date ? string
  : V extends (infer E)[] ? Json<E>[]
  : V extends readonly (infer E)[] ? readonly Json<E>[]
  : V extends object ? { [K in keyof V]: Json<V[K]> }
  : V;

/**
 * Marks a route's answer as the REST shape `schema` (contracts/src/rest.ts) at compile time:
 * typecheck fails when the answer, once serialized, is not that shape. No run-time cost; the
 * real answers are also parsed with the schemas in web/test/rest-shapes.test.ts.
 */
export function answer<T, V>(_schema: z.ZodType<T>, value: V & ([Json<V>] extends [T] ? unknown : { shapeMismatch: Json<V> })): V {
  return value;
}
