import type { z } from 'zod';
import type { CanonicalEvent } from '@pulsehub/contracts';

/** What ingest knows about a message apart from its payload. */
export interface AdapterContext {
  /** From the topic `users/<userId>/events`. */
  readonly userId: string;
  /** The publishing client's device id (MQTT username), or the payload's for gateways. */
  readonly deviceId: string;
  /** ISO instant the hub received the message. */
  readonly receivedAt: string;
}

/**
 * A device adapter: an input schema and a pure `normalize()` that maps a parsed payload to
 * canonical events. It throws `PulseHubError` with a `PH_INGEST_*` code for input it cannot
 * map; the pipeline checks every event against the metric catalog (units, ranges) afterwards.
 */
export interface Adapter<I = unknown> {
  readonly id: string;
  readonly description: string;
  readonly schema: z.ZodType<I>;
  normalize(input: I, ctx: AdapterContext): CanonicalEvent[];
}

export function defineAdapter<I>(adapter: Adapter<I>): Adapter<I> {
  return Object.freeze(adapter);
}
