/**
 * WebSocket close codes of the live gateway and its pages (4000-4999 is the application range,
 * RFC 6455 §7.4.2). A leaf module without zod, so pages import it (`@pulsehub/contracts/ws-close`)
 * without bundling the schemas.
 */
export const WS_CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  /** Sent by a page to its own socket: two heartbeats passed without a frame. */
  heartbeatMissed: 4000,
  /** Unauthenticated, token revoked, or token expired. */
  unauthenticated: 4401,
  forbidden: 4403,
  /** No `auth` message within the time limit. */
  authTimeout: 4408,
  /** The client stayed too far behind (its conflated backlog did not drain in time). */
  tooSlow: 4429,
} as const;

export type WsCloseCode = (typeof WS_CLOSE)[keyof typeof WS_CLOSE];
