import type { Principal } from '@pulsehub/contracts';
import type { Store } from '@pulsehub/store';

/** Who is looking: enough of a principal to apply the visibility rule. */
export type Viewer = Pick<Principal, 'subject' | 'kind' | 'users'>;

/**
 * THE visibility rule, the one place that decides whether a viewer may see an athlete's data.
 * Every path that carries an athlete's data goes through it: the history API, `/live`
 * subscriptions (snapshots, events, states, batteries), class sessions (start, live tallies —
 * a live socket keeps the set this rule allowed and drops an athlete when a consent revocation
 * is announced —, GET /api/sessions/:id, the end summary).
 *
 * Who may see an athlete's data: the athlete, an overlay or device token scoped to them, an
 * admin, or a coach (any viewer) while a consent row says so.
 */
export async function visibleAthletes(principal: Viewer, store: Store, requested: readonly string[]): Promise<{ allowed: string[]; denied: string[] }> {
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
      const consented = new Set(await store.consents.athletesFor(principal.subject));
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
export async function listableAthletes(principal: Viewer, store: Store): Promise<string[] | 'all'> {
  switch (principal.kind) {
    case 'admin':
    case 'service':
      return 'all';
    case 'coach':
      return store.consents.athletesFor(principal.subject);
    case 'athlete':
    case 'overlay':
      return [...principal.users];
    default:
      return [];
  }
}

/**
 * Whose view a class session's stored summary is: the session's coach. The owner acting on it
 * is judged as themselves (an admin who ran a class sees all); anyone else (an admin ending a
 * coach's class) produces the coach's summary, judged by the coach's consents.
 */
export function sessionAudience(row: { coachId: string }, caller: Viewer): Viewer {
  return caller.subject === row.coachId ? caller : { subject: row.coachId, kind: 'coach', users: [] };
}

/**
 * For a class summary: up to which instant each athlete's readings may go into the viewer's
 * summary. Visible now: all of them (Infinity). Not visible, with a consent the athlete revoked
 * after `since`: up to the revocation. Otherwise: none (null, no summary row for them).
 */
export async function readingCutoffs(store: Store, viewer: Viewer, athletes: readonly string[], since: Date): Promise<Map<string, number | null>> {
  const { allowed } = await visibleAthletes(viewer, store, athletes);
  const out = new Map<string, number | null>(athletes.map((a) => [a, allowed.includes(a) ? Infinity : null]));
  if (allowed.length === athletes.length || viewer.kind !== 'coach') return out;
  for (const c of await store.consents.list()) {
    if (c.viewerId !== viewer.subject || out.get(c.athleteId) !== null || !c.revokedAt) continue;
    if (c.revokedAt.getTime() > since.getTime()) out.set(c.athleteId, c.revokedAt.getTime());
  }
  return out;
}
