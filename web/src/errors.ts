import type { FastifyInstance } from 'fastify';
import { isPulseHubError, ERROR_CODES } from '@pulsehub/contracts';

/** Maps errors to `{ error: { code, message } }` with the catalog's HTTP status. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    if (isPulseHubError(err)) {
      if (err.status >= 500) req.log.error({ err }, err.message);
      return reply.status(err.status).send({ error: { code: err.code, message: err.message, details: err.details } });
    }
    const e = err as { validation?: unknown; statusCode?: number; message: string };
    if (e.validation || e.statusCode === 400) {
      return reply.status(400).send({ error: { code: 'PH_WEB_BAD_REQUEST', message: e.message } });
    }
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ error: { code: 'PH_INTERNAL', message: 'internal error' } });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'PH_WEB_NOT_FOUND', message: `${req.method} ${req.url} ${ERROR_CODES.PH_WEB_NOT_FOUND.message.toLowerCase()}` } }));
}
