import { z } from 'zod';
import { UserId } from './ids.js';
import { CanonicalEventBase } from './event.js';

/**
 * The live WebSocket protocol (path `/live`). JSON text frames, one message each.
 * Client → server: `auth` (unless `?token=` was given), `subscribe`, `unsubscribe`, `ping`.
 * Server → client: `ready`, `subscribed`, `snapshot`, `event`, `error`, `pong`, `revoked`.
 */
export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(8192) }),
  z.object({ type: z.literal('subscribe'), athletes: z.array(UserId).min(1).max(500) }),
  z.object({ type: z.literal('unsubscribe'), athletes: z.array(UserId).min(1).max(500) }),
  z.object({ type: z.literal('ping'), id: z.string().max(64).optional() }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

export const ServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), subject: z.string(), kind: z.string(), athletes: z.array(UserId), silenceMs: z.number() }),
  z.object({ type: z.literal('subscribed'), athletes: z.array(UserId), denied: z.array(UserId) }),
  z.object({
    type: z.literal('snapshot'),
    athlete: UserId,
    name: z.string(),
    /** Steps since local midnight of the hub, so the client only adds live step counts. */
    stepsToday: z.number(),
    events: z.array(CanonicalEventBase),
  }),
  z.object({ type: z.literal('event'), event: CanonicalEventBase }),
  z.object({ type: z.literal('revoked'), athlete: UserId }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('pong'), id: z.string().optional(), serverTime: z.string() }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

/** WebSocket close codes used by the gateway (4000-4999 is the application range, RFC 6455 §7.4.2). */
export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  unauthenticated: 4401,
  forbidden: 4403,
  authTimeout: 4408,
  tooSlow: 4429,
} as const;
