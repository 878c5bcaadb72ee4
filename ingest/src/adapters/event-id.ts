import { createHash } from 'node:crypto';

/**
 * A stable event id for payloads that carry none: the same device, metric and time give the
 * same id, so a redelivered message is stored once.
 */
export function stableEventId(deviceId: string, metric: string, time: string, extra = ''): string {
  const h = createHash('sha256').update(`${deviceId}\u0000${metric}\u0000${time}\u0000${extra}`).digest('base64url');
  return `h-${h.slice(0, 32)}`;
}
