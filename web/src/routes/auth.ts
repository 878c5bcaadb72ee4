import type { FastifyRequest } from 'fastify';
import { PulseHubError, type Principal, type SubjectKind } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';

/** Reads and verifies `Authorization: Bearer <token>`; throws a catalogued 401/403. */
export async function requirePrincipal(req: FastifyRequest, tokens: TokenService, kinds?: readonly SubjectKind[]): Promise<Principal> {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!m?.[1]) throw new PulseHubError('PH_AUTH_TOKEN_MISSING', 'send Authorization: Bearer <token>');
  const principal = await tokens.verify(m[1]);
  if (kinds && !kinds.includes(principal.kind)) {
    req.log.warn({ subject: principal.subject, kind: principal.kind, url: req.url }, 'request refused: forbidden');
    throw new PulseHubError('PH_AUTH_FORBIDDEN', `a ${principal.kind} token may not ${req.method} ${req.routeOptions.url ?? req.url}`);
  }
  return principal;
}
