import type { SubjectKind } from '@pulsehub/contracts';
import type { AuditEntry, Store } from '@pulsehub/store';

/** Actions written to the audit log (append new ones; never rename a stored one). */
export const AUDIT_ACTIONS = [
  'user.upsert',
  'device.register',
  'device.revoke',
  'token.mint',
  'token.revoke',
  'consent.grant',
  'consent.revoke',
  'session.start',
  'session.end',
  'device.pair',
  'gateway.register',
  'device.token',
  'access.denied',
  'device.restore',
  'scale.register',
  'pending.assign',
  'pending.discard',
  'user.ftp',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number] | (string & {});

/**
 * Records one change in the audit log: who (the token's subject and kind), what, on what.
 * Shared by every route that changes state (admin, consents, devices, tokens, sessions):
 * call it after the change succeeded. It never throws into the request: a failed audit
 * write is logged by the caller's logger and the change stands.
 */
export async function recordAudit(store: Store, actor: { subject: string; kind: SubjectKind | 'unauthenticated' }, action: AuditAction, target: string, details?: unknown, log?: { error(o: object, msg: string): void }): Promise<void> {
  const entry: AuditEntry = { actor: actor.subject, actorKind: actor.kind, action, target, details };
  try {
    await store.audit.record(entry);
  } catch (err) {
    log?.error({ err, entry }, 'audit log write failed');
  }
}
