import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { TokenService } from '@pulsehub/auth';
import type { Store } from '@pulsehub/store';
import { requirePrincipal } from './auth.js';
import { AdminAuditResponse, AdminConsentsResponse, AdminTokensResponse, AdminUsersResponse } from '@pulsehub/contracts';
import { parseBody } from './parse.js';
import { answer } from './answer.js';

const Limit = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(200) });

/** Read-only lists behind the admin page; changes go through the regular routes (and the audit log). */
export function registerAdminRoutes(app: FastifyInstance, d: { store: Store; tokens: TokenService }): void {
  const admin = ['admin'] as const;
  app.get('/api/admin/users', async (req) => {
    await requirePrincipal(req, d.tokens, admin);
    return answer(AdminUsersResponse, { users: await d.store.users.list() });
  });
  app.get('/api/admin/tokens', async (req) => {
    await requirePrincipal(req, d.tokens, admin);
    const q = parseBody(Limit, req.query);
    return answer(AdminTokensResponse, { tokens: await d.store.tokens.list({ limit: q.limit }) });
  });
  app.get('/api/admin/consents', async (req) => {
    await requirePrincipal(req, d.tokens, admin);
    return answer(AdminConsentsResponse, { consents: await d.store.consents.list() });
  });
  app.get('/api/admin/audit', async (req) => {
    await requirePrincipal(req, d.tokens, admin);
    const q = parseBody(Limit, req.query);
    return answer(AdminAuditResponse, { audit: await d.store.audit.list({ limit: q.limit }) });
  });
}
