import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Db } from './db.js';
import { consents } from './schema.js';

export interface ConsentRow { athleteId: string; viewerId: string; grantedAt: Date; revokedAt: Date | null }

/** Who may see an athlete: a consent row per (athlete, viewer), revoked by a timestamp. */
export interface ConsentRepo {
  grant(athleteId: string, viewerId: string): Promise<void>;
  /** False when there was no live consent to revoke. */
  revoke(athleteId: string, viewerId: string): Promise<boolean>;
  /** Athletes that currently share with a viewer (coach or overlay subject). */
  athletesFor(viewerId: string): Promise<string[]>;
  /** Every row, revoked ones included (the admin page). */
  list(): Promise<ConsentRow[]>;
}

export function createConsentRepo(db: Db): ConsentRepo {
  return {
    async grant(athleteId, viewerId) {
      await db
        .insert(consents)
        .values({ athleteId, viewerId })
        .onConflictDoUpdate({ target: [consents.athleteId, consents.viewerId], set: { grantedAt: new Date(), revokedAt: null } });
    },
    async revoke(athleteId, viewerId) {
      const rows = await db
        .update(consents)
        .set({ revokedAt: new Date() })
        .where(and(eq(consents.athleteId, athleteId), eq(consents.viewerId, viewerId), isNull(consents.revokedAt)))
        .returning({ a: consents.athleteId });
      return rows.length > 0;
    },
    async athletesFor(viewerId) {
      const rows = await db.select({ a: consents.athleteId }).from(consents).where(and(eq(consents.viewerId, viewerId), isNull(consents.revokedAt))).orderBy(consents.athleteId);
      return rows.map((r) => r.a);
    },
    async list() {
      return db.select().from(consents).orderBy(asc(consents.athleteId), asc(consents.viewerId));
    },
  };
}
