import { z } from 'zod';
import { ID_PATTERN, UserId } from './ids.js';

export const SUBJECT_KINDS = ['device', 'gateway', 'coach', 'athlete', 'admin', 'overlay', 'service'] as const;
export const SubjectKind = z.enum(SUBJECT_KINDS);
export type SubjectKind = z.infer<typeof SubjectKind>;

export const TOKEN_ISSUER = 'pulsehub';
export const TOKEN_AUDIENCE = 'pulsehub';

/**
 * What a PulseHub token says. `sub` is the device id for devices and gateways (and the MQTT
 * username), the person's id for coaches, athletes and admins. `users` are the users the
 * subject acts for: a device's owner, a gateway's bound users, an overlay's athlete.
 */
export const TokenClaims = z.object({
  sub: z.string().regex(ID_PATTERN),
  kind: SubjectKind,
  users: z.array(UserId).max(1000).default([]),
  jti: z.string().min(8).max(64),
  iss: z.literal(TOKEN_ISSUER),
  aud: z.union([z.literal(TOKEN_AUDIENCE), z.array(z.string()).refine((a) => a.includes(TOKEN_AUDIENCE))]),
  iat: z.number().int(),
  exp: z.number().int().optional(),
});
export type TokenClaims = z.infer<typeof TokenClaims>;

/** The verified principal derived from a token. */
export interface Principal {
  readonly subject: string;
  readonly kind: SubjectKind;
  readonly users: readonly string[];
  readonly jti: string;
  readonly expiresAt?: number;
}
