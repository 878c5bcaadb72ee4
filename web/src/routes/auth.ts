import type { FastifyRequest } from 'fastify';
import { PulseHubError, type Principal, type SubjectKind } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';

const verified = new WeakMap<FastifyRequest, Principal>();

/** The principal a request's token was verified as (for the refusal audit), if it got that far. */
export function principalOf(req: FastifyRequest): Principal | undefined {
  return verified.get(req);
}

/** Reads and verifies `Authorization: Bearer <token>`; throws a catalogued 401/403. */
export async function requirePrincipal(req: FastifyRequest, tokens: TokenService, kinds?: readonly SubjectKind[]): Promise<Principal> {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!m?.[1]) throw new PulseHubError('PH_AUTH_TOKEN_MISSING', 'send Authorization: Bearer <token>');
  const principal = await tokens.verify(m[1]);
  verified.set(req, principal);
  if (kinds && !kinds.includes(principal.kind)) {
    // info, not warn: anyone may send refused requests; the bounded audit log keeps the record.
    req.log.info({ subject: principal.subject, kind: principal.kind, url: req.url.slice(0, 200) }, 'request refused: forbidden');
    throw new PulseHubError('PH_AUTH_FORBIDDEN', `a ${principal.kind} token may not ${req.method} ${req.routeOptions.url ?? req.url}`);
  }
  return principal;
}
