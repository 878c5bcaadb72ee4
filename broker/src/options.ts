import { z } from 'zod';
import type { Logger } from 'pino';
import type { TokenService } from '@pulsehub/auth';
import { PulseHubError } from '@pulsehub/contracts';

export const BrokerOptionsSchema = z
  .object({
    id: z.string().min(1).optional(),
    allowAnonymous: z.boolean().default(false),
    /** Seconds a client may stay silent before CONNECT (aedes connectTimeout). */
    connectTimeoutMs: z.number().int().positive().default(30_000),
    /** A frozen subscriber gets this long to drain before it is dropped (aedes drainTimeout). */
    drainTimeoutMs: z.number().int().positive().default(10_000),
    /** Messages queued per client while its socket is busy. */
    queueLimit: z.number().int().positive().default(1000),
    maxTopicLevels: z.number().int().min(1).max(100).default(16),
  })
  .strict();

export type BrokerSettings = z.infer<typeof BrokerOptionsSchema>;

export interface BrokerOptions extends z.input<typeof BrokerOptionsSchema> {
  /** Verifies the CONNECT password (a PulseHub JWT). Required unless `allowAnonymous`. */
  tokens?: TokenService;
  logger?: Logger;
}

export function validateBrokerOptions(options: BrokerOptions): BrokerSettings {
  const { tokens, logger: _logger, ...rest } = options;
  const parsed = BrokerOptionsSchema.safeParse(rest);
  if (!parsed.success) throw new PulseHubError('PH_CONFIG_INVALID', `broker options: ${z.prettifyError(parsed.error)}`);
  if (!tokens && !parsed.data.allowAnonymous) {
    throw new PulseHubError('PH_CONFIG_INVALID', 'broker options: give `tokens` (a TokenService) or set allowAnonymous: true');
  }
  return Object.freeze(parsed.data);
}
