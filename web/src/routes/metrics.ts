import type { FastifyInstance } from 'fastify';
import type { TokenService } from '@pulsehub/auth';

/**
 * Prometheus scrape, `GET /metrics`: from loopback, or with a bearer token of an admin or a
 * service. The text comes from the caller (cli passes the broker's and the embedded ingest's
 * counters), so the web role imports neither broker nor ingest; without it there is no route.
 */
export type MetricsText = () => Promise<string>;

const LOOPBACK = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

export function registerMetrics(app: FastifyInstance, o: { tokens: TokenService; metrics: MetricsText | undefined }): void {
  const metrics = o.metrics;
  if (!metrics) return;
  app.get('/metrics', async (req, reply) => {
    const loopback = LOOPBACK.includes(req.socket.remoteAddress ?? '');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const p = bearer ? await o.tokens.verify(bearer).catch(() => null) : null;
    if (!loopback && !(p && (p.kind === 'admin' || p.kind === 'service'))) return reply.status(401).send({ error: { code: 'PH_AUTH_TOKEN_MISSING', message: 'send an admin or service bearer token' } });
    return reply.type('text/plain; version=0.0.4').send(await metrics());
  });
}
