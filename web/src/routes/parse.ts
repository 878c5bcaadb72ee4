import { z } from 'zod';
import { PulseHubError } from '@pulsehub/contracts';
import { isStorableText } from '../errors.js';

/** Validates a body or query; a failure is a catalogued 400 naming every problem. */
export function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new PulseHubError('PH_WEB_BAD_REQUEST', z.prettifyError(r.error));
  return r.data;
}

/** Postgres timestamps hold years 1..9999 (there is no year 0); a UTC offset may move an instant past either end. */
const MIN_MS = Date.parse('0001-01-01T00:00:00Z');
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** An ISO 8601 instant with offset that Postgres can store, as a Date. */
export const Instant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant with offset, e.g. 2026-11-22T10:00:00Z' })
  .transform((s) => new Date(s))
  .refine((d) => { const t = d.getTime(); return t >= MIN_MS && t <= MAX_MS; }, { error: 'must be an instant in the years 0001..9999 (UTC)' });

/** Text a client chose that ends up in a query: no NUL, no lone surrogate. */
export const StorableText = z.string().refine(isStorableText, { error: 'must not hold a NUL or a lone surrogate' });
