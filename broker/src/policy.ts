import type { Principal } from '@pulsehub/contracts';
import { CompiledRules, DEFAULT_RULES, type ConsentView, type PartialDeny, type TopicRule } from './rules.js';

/**
 * What one connected client may do, compiled once at CONNECT from the topic rules (rules.ts)
 * so that the per-PUBLISH check is a cached lookup, never a recomputation.
 */
export interface ClientAccess {
  readonly principal: Principal | null;
  canPublish(topic: string): boolean;
  canSubscribe(filter: string): boolean;
  /** May a message on this concrete topic be forwarded to the client? Defaults to canSubscribe(topic). */
  canReceive?(topic: string): boolean;
}

export interface AccessOptions {
  allowAnonymous: boolean;
  rules?: readonly TopicRule[];
  /** The MQTT client identifier (`%c`); defaults to the subject. */
  clientId?: string;
  /** Athletes consenting to this viewer (`%a`), read live. */
  athletes?: ConsentView;
  /** A SUBSCRIBE partly overlapping a deny rule: refused (default) or granted and filtered per message. */
  partialDeny?: PartialDeny;
}

const DENY_ALL: Omit<ClientAccess, 'principal'> = Object.freeze({ canPublish: () => false, canSubscribe: () => false, canReceive: () => false });

export function compileAccess(principal: Principal | null, options: AccessOptions): ClientAccess {
  if (principal === null && !options.allowAnonymous) return { principal, ...DENY_ALL };
  return new CompiledRules(options.rules ?? DEFAULT_RULES, principal, {
    clientId: options.clientId ?? principal?.subject ?? '',
    ...(options.athletes ? { athletes: options.athletes } : {}),
    ...(options.partialDeny ? { partialDeny: options.partialDeny } : {}),
  });
}
