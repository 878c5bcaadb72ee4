import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PulseHubError, UserId } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import type { Store } from '@pulsehub/store';
import { requirePrincipal } from './auth.js';
import { Instant, parseBody } from './parse.js';
import { recordAudit } from '../audit.js';
import { EXPORT_FORMATS, exportBody } from '../export/stream.js';

/**
 * GET /api/users/:id/export?format=csv|omh|fhir[&from&to]: a person's readings, streamed.
 * Only the athlete themself or an admin (not a coach, even with consent: an export is the
 * whole record, not a view of it). Pages of readings are read as the client takes them, so
 * a slow client holds one page, not the export.
 */
const Query = z.object({
  format: z.enum(EXPORT_FORMATS, { error: `format must be one of ${EXPORT_FORMATS.join(', ')}` }),
  from: Instant.optional(),
  to: Instant.optional(),
}).strict();

export function registerExport(app: FastifyInstance, d: { store: Store; tokens: TokenService }): void {
  app.get<{ Params: { id: string } }>('/api/users/:id/export', async (req, reply) => {
    const p = await requirePrincipal(req, d.tokens, ['admin', 'athlete']);
    const userId = parseBody(z.object({ id: UserId }), req.params).id;
    if (p.kind === 'athlete' && !p.users.includes(userId)) throw new PulseHubError('PH_AUTH_FORBIDDEN', 'athletes export their own data only');
    const q = parseBody(Query, req.query);
    const from = q.from ?? new Date(0);
    const to = q.to ?? new Date(Date.now() + 86_400_000);
    if (to <= from) throw new PulseHubError('PH_WEB_BAD_REQUEST', 'to must be after from');
    if (!(await d.store.users.get(userId))) throw new PulseHubError('PH_STORE_NOT_FOUND', `no user ${userId}`);
    const body = await exportBody(d.store, q.format, { userId, from, to });
    await recordAudit(d.store, p, 'user.export', userId, { format: q.format, from: from.toISOString(), to: to.toISOString() }, req.log);
    const stream = Readable.from(body.chunks, { objectMode: false, highWaterMark: 64 * 1024 });
    stream.on('error', (err) => req.log.error({ err, userId }, 'export failed mid-stream'));
    return reply.type(body.contentType).header('content-disposition', `attachment; filename="${body.filename}"`).header('cache-control', 'no-store').send(stream);
  });
}
