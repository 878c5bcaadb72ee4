import { z } from 'zod';

/**
 * Identifiers travel inside MQTT topic levels, so they may not contain `/`, `+`, `#`
 * or `$` [MQTT-4.7.1-1]; we keep them to a conservative URL-safe alphabet.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const UserId = z.string().regex(ID_PATTERN, { error: 'user id: 1-64 chars of A-Z a-z 0-9 _ . - (starting alphanumeric)' });
export const DeviceId = z.string().regex(ID_PATTERN, { error: 'device id: 1-64 chars of A-Z a-z 0-9 _ . - (starting alphanumeric)' });
export const EventId = z.string().min(1).max(128);

export type UserId = z.infer<typeof UserId>;
export type DeviceId = z.infer<typeof DeviceId>;

export function isValidId(value: string): boolean {
  return ID_PATTERN.test(value);
}
