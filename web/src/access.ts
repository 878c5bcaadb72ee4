import type { Principal } from '@pulsehub/contracts';
import type { Store } from '@pulsehub/store';

/**
 * Who may see an athlete's data: the athlete, an overlay or device token scoped to them, an
 * admin, or a coach (any viewer) while a consent row says so.
 */
export async function visibleAthletes(principal: Principal, store: Store, requested: readonly string[]): Promise<{ allowed: string[]; denied: string[] }> {
  let may: (id: string) => boolean;
  switch (principal.kind) {
    case 'admin':
    case 'service':
      may = () => true;
      break;
    case 'athlete':
    case 'overlay': {
      const own = new Set(principal.users);
      may = (id) => own.has(id);
      break;
    }
    case 'coach': {
      const consented = new Set(await store.consentedAthletes(principal.subject));
      may = (id) => consented.has(id);
      break;
    }
    default:
      may = () => false;
  }
  const allowed: string[] = [];
  const denied: string[] = [];
  for (const id of new Set(requested)) (may(id) ? allowed : denied).push(id);
  return { allowed, denied };
}

/** The athletes a principal may list (for a coach: those who consented). */
export async function listableAthletes(principal: Principal, store: Store): Promise<string[] | 'all'> {
  switch (principal.kind) {
    case 'admin':
    case 'service':
      return 'all';
    case 'coach':
      return store.consentedAthletes(principal.subject);
    case 'athlete':
    case 'overlay':
      return [...principal.users];
    default:
      return [];
  }
}
