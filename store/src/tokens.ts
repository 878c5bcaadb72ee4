import { desc, isNull, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { tokens } from './schema.js';

export interface TokenRow { jti: string; subject: string; kind: string; createdAt: Date; expiresAt: Date | null; revokedAt: Date | null }

/** Tokens the hub signed (by `jti`), so they can be listed and revoked. */
export interface TokenRepo {
  record(token: { jti: string; subject: string; kind: string; expiresAt?: Date | null }): Promise<void>;
  /** Revokes a token; false when it was already revoked. */
  revoke(jti: string): Promise<boolean>;
  revokedIds(): Promise<string[]>;
  /** Newest first. */
  list(filter?: { limit?: number }): Promise<TokenRow[]>;
}

export function createTokenRepo(db: Db): TokenRepo {
  return {
    async record(t) {
      await db.insert(tokens).values({ jti: t.jti, subject: t.subject, kind: t.kind, expiresAt: t.expiresAt ?? null }).onConflictDoNothing();
    },
    async revoke(jti) {
      // A token this hub signed but never recorded (an older CLI, a key shared with a script)
      // gets a row of its own, so the revocation survives a restart like any other.
      const rows = await db.insert(tokens).values({ jti, subject: '(unrecorded)', kind: '(unrecorded)', revokedAt: new Date() })
        .onConflictDoUpdate({ target: tokens.jti, set: { revokedAt: new Date() }, setWhere: isNull(tokens.revokedAt) })
        .returning({ jti: tokens.jti });
      return rows.length > 0;
    },
    async revokedIds() {
      const rows = await db.select({ jti: tokens.jti }).from(tokens).where(sql`${tokens.revokedAt} is not null`);
      return rows.map((r) => r.jti);
    },
    async list(filter = {}) {
      return db.select().from(tokens).orderBy(desc(tokens.createdAt)).limit(filter.limit ?? 500);
    },
  };
}
