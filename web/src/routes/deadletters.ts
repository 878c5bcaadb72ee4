import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PulseHubError } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import type { DeadLetter, Store } from '@pulsehub/store';
import { requirePrincipal } from './auth.js';
import { parseBody } from './parse.js';

/**
 * Dead letters beyond the list in api.ts (`GET /api/deadletters?reason&limit`): one by id, and
 * replay after an adapter fix. Admin only. `pulsehub deadletters list|replay` calls these on
 * the running hub, since PGlite admits one process. Replaying runs the ingest adapters, which
 * the web role does not import: the caller passes `replay` in (cli passes ingest's
 * `replayDeadLetters`); without it the replay route is not registered.
 *
 *   GET  /api/deadletters/:id                          → { deadLetter }
 *   POST /api/deadletters/replay { reason?, id?, limit? } → { replayed: [...], failed: [...] }
 */
const IdParams = z.object({ id: z.coerce.number().int().positive() });
const ReplayBody = z.object({
  reason: z.string().regex(/^PH_[A-Z0-9_]+$/, { error: 'reason is an error code such as PH_INGEST_SCHEMA_INVALID' }).optional(),
  id: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(10_000).default(1000),
}).strict().refine((b) => b.reason !== undefined || b.id !== undefined, { error: 'name what to replay: a reason, an id, or both' });

/** Re-runs pending dead letters through the adapters (ingest's `replayDeadLetters` over the store). */
export type ReplayDeadLetters = (filter: { reason?: string; id?: number; limit: number }) => Promise<{ replayed: readonly unknown[]; failed: readonly unknown[] }>;

export const deadLetterJson = (r: DeadLetter) => ({ ...r, payload: r.payload.toString('base64') });

export function registerDeadLetters(app: FastifyInstance, d: { store: Store; tokens: TokenService; replay?: ReplayDeadLetters | undefined }): void {
  const admin = ['admin'] as const;

  app.get('/api/deadletters/:id', async (req) => {
    await requirePrincipal(req, d.tokens, admin);
    const { id } = parseBody(IdParams, req.params);
    const [row] = await d.store.deadLetters.list({ id, limit: 1 });
    if (!row) throw new PulseHubError('PH_STORE_NOT_FOUND', `no dead letter ${id}`);
    return { deadLetter: deadLetterJson(row) };
  });

  const replay = d.replay;
  if (!replay) return;
  app.post('/api/deadletters/replay', async (req) => {
    const p = await requirePrincipal(req, d.tokens, admin);
    const body = parseBody(ReplayBody, req.body ?? {});
    const report = await replay({
      limit: body.limit, ...(body.reason !== undefined ? { reason: body.reason } : {}), ...(body.id !== undefined ? { id: body.id } : {}),
    });
    req.log.info({ subject: p.subject, reason: body.reason, id: body.id, replayed: report.replayed.length, failed: report.failed.length }, 'dead letters replayed');
    return report;
  });
}
