import { desc } from 'drizzle-orm';
import type { Db } from './db.js';
import { auditLog } from './schema.js';

export interface AuditEntry {
  actor: string;
  actorKind: string;
  action: string;
  target: string;
  details?: unknown;
}

export interface AuditRow extends AuditEntry {
  id: number;
  at: Date;
}

/** The audit log: who changed what (and who was refused). */
export interface AuditRepo {
  record(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  list(filter?: { limit?: number }): Promise<AuditRow[]>;
}

export function createAuditRepo(db: Db): AuditRepo {
  return {
    async record(e) {
      await db.insert(auditLog).values({ actor: e.actor, actorKind: e.actorKind, action: e.action, target: e.target, details: e.details ?? null });
    },
    async list(filter = {}) {
      const rows = await db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(filter.limit ?? 200);
      return rows.map((r) => ({ ...r, details: r.details ?? undefined }));
    },
  };
}
