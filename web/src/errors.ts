import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPulseHubError, ERROR_CODES, PulseHubError, type ErrorCode } from '@pulsehub/contracts';

/** Catalog code for a client error fastify (or a plugin) raised with only a status. */
const CLIENT_CODES: Record<number, ErrorCode> = { 404: 'PH_WEB_NOT_FOUND', 413: 'PH_WEB_PAYLOAD_TOO_LARGE', 415: 'PH_WEB_UNSUPPORTED_MEDIA_TYPE' };

/**
 * Postgres SQLSTATE class 22 ("data exception": NUL in text, a lone surrogate, a year out of
 * range…) comes from a value the client sent that validation let through. It is the client's
 * error (400), never the hub's; validation should catch it first, this is the safety net.
 */
function isDataException(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/** A refused request (401/403/409), for the audit log. */
export type RefusalListener = (req: FastifyRequest, err: PulseHubError) => void;

/**
 * One error handler: every client error is answered with its 4xx and a catalog code and
 * logged at `info` without a stack (anyone can send bad requests; they must not fill the
 * error log); only 5xx are logged at `error`.
 */
export function installErrorHandler(app: FastifyInstance, onRefused?: RefusalListener): void {
  const clientError = (req: FastifyRequest, reply: FastifyReply, status: number, code: ErrorCode, message: string, details?: unknown) => {
    req.log.info({ status, code, method: req.method, url: req.url.slice(0, 200), reason: message.slice(0, 300) }, 'client error');
    return reply.status(status).send({ error: details === undefined ? { code, message } : { code, message, details } });
  };
  app.setErrorHandler((err, req, reply) => {
    if (isPulseHubError(err)) {
      if (err.status >= 500) {
        req.log.error({ err }, err.message);
        return reply.status(err.status).send({ error: { code: err.code, message: err.message, details: err.details } });
      }
      if (err.status === 401 || err.status === 403 || err.status === 409) onRefused?.(req, err);
      return clientError(req, reply, err.status, err.code, err.message, err.details);
    }
    const e = err as { validation?: unknown; statusCode?: number; message: string };
    if (e.validation) return clientError(req, reply, 400, 'PH_WEB_BAD_REQUEST', e.message);
    if (isDataException(err)) return clientError(req, reply, 400, 'PH_WEB_BAD_REQUEST', 'a value in the request is not one the database accepts (NUL, malformed text or an instant out of range)');
    const status = e.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return clientError(req, reply, status, CLIENT_CODES[status] ?? 'PH_WEB_BAD_REQUEST', e.message);
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'PH_INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) => clientError(req, reply, 404, 'PH_WEB_NOT_FOUND', `${req.method} ${req.url.slice(0, 200)} ${ERROR_CODES.PH_WEB_NOT_FOUND.message.toLowerCase()}`));
}

/** Text Postgres (and JSON) accepts: no NUL, well-formed UTF-16 (no lone surrogate). */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Refuses, before routing, a URL whose decoded path or query holds a NUL, a lone surrogate or
 * a malformed escape: no route or static file has a use for one, and Postgres rejects them.
 */
export function installUrlGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(req.url.replaceAll('+', ' '));
    } catch {
      throw new PulseHubError('PH_WEB_BAD_REQUEST', 'the URL holds a malformed %-escape');
    }
    if (!isStorableText(decoded)) throw new PulseHubError('PH_WEB_BAD_REQUEST', 'the URL holds a NUL or a lone surrogate');
    if (decoded.split(/[?#]/, 1)[0]!.split(/[/\\]/).includes('..')) throw new PulseHubError('PH_WEB_BAD_REQUEST', 'the path may not climb with ..');
  });
}
