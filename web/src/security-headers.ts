import type { FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';

/** The page an OBS browser source (or a streaming tool) embeds: the one page that may be framed. */
export const EMBEDDABLE_PAGES = new Set(['/overlay.html']);

/**
 * Security headers on every page and API answer (`@fastify/helmet`): a CSP that allows what
 * the built pages load (their own scripts and styles, inline styles for uPlot and the overlay,
 * the WebSocket to this origin), no framing (`frame-ancestors 'none'`, `X-Frame-Options: DENY`),
 * `nosniff`, and `Referrer-Policy: no-referrer` (page URLs may carry a `?token=`). The hub
 * serves plain HTTP on a LAN, so no HSTS and no upgrade-insecure-requests: a TLS terminator in
 * front adds HSTS. The overlay page keeps its CSP but may be framed by anyone.
 */
export async function installSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
  });
  app.addHook('onSend', async (req, reply) => {
    if (!EMBEDDABLE_PAGES.has(req.url.split('?', 1)[0]!)) return;
    reply.removeHeader('x-frame-options');
    const csp = reply.getHeader('content-security-policy');
    if (typeof csp === 'string') reply.header('content-security-policy', csp.replace("frame-ancestors 'none'", 'frame-ancestors *'));
  });
}
