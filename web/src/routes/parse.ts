import { z } from 'zod';
import { PulseHubError } from '@pulsehub/contracts';

/** Validates a body or query; a failure is a catalogued 400 naming every problem. */
export function parseBody<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new PulseHubError('PH_WEB_BAD_REQUEST', z.prettifyError(r.error));
  return r.data;
}
