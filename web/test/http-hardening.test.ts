import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createTokenService, generateSigningKey, type TokenService } from '@pulsehub/auth';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { createWebApp, type WebApp } from '@pulsehub/web';

// Issue 11, defects 8 and 9: client errors are 4xx (never 500) and logged without a stack;
// every page and API answer carries security headers, and only the overlay may be framed.
// Runs through fastify's inject (no socket needed) against a real Postgres.

interface LogLine { level: number; msg?: string; err?: { stack?: string } }

describe('http hardening: client errors and security headers', () => {
  let db: TestDatabase;
  let store: Store;
  let tokens: TokenService;
  let web: WebApp;
  let admin: string;
  const lines: LogLine[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openStore(db.target);
    tokens = createTokenService({ current: generateSigningKey(), previous: [] });
    const sink = new Writable({ write(chunk: Buffer, _enc, cb) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as LogLine); cb(); } });
    web = await createWebApp({ store, tokens, logger: pino({ level: 'trace' }, sink) });
    await web.app.ready();
    admin = (await tokens.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 })).token;
    await store.users.upsert({ id: 'ana', name: 'Ana' });
  });
  afterAll(async () => {
    await web?.close();
    await store?.close();
    await db?.drop();
  });

  const auth = () => ({ authorization: `Bearer ${admin}` });
  const page = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const hist = (q: string) => `/api/users/ana/observations?metric=heart_rate&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&${q}`;

  // The inputs of the issue, and their class.
  const cases: { name: string; method?: 'GET' | 'POST' | 'DELETE'; url: string; headers?: Record<string, string>; body?: string; status: number[] }[] = [
    { name: 'traversal /../../etc/passwd', url: '/../../etc/passwd', status: [400, 404] },
    { name: 'traversal %2e%2e/', url: '/%2e%2e/%2e%2e/etc/passwd', status: [400, 404] },
    { name: 'traversal %2e%2e%2f in assets', url: '/assets/%2e%2e%2f%2e%2e%2fpackage.json', status: [400, 404] },
    { name: 'traversal ..%5c', url: '/..%5c..%5cetc%5cpasswd', status: [400, 404] },
    { name: 'NUL in a static path', url: '/index.html%00.js', status: [400, 404] },
    { name: '2 MB body', method: 'POST', url: '/api/users', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'x', name: 'x'.repeat(2 * 1024 * 1024) }), status: [413] },
    { name: 'application/xml body', method: 'POST', url: '/api/users', headers: { 'content-type': 'application/xml' }, body: '<user id="x"/>', status: [415] },
    { name: 'malformed JSON', method: 'POST', url: '/api/users', headers: { 'content-type': 'application/json' }, body: '{"id":', status: [400] },
    { name: 'year 0000 instant', url: '/api/users/ana/observations?metric=heart_rate&from=0000-01-01T00:00:00Z&to=0000-01-02T00:00:00Z', status: [400] },
    { name: 'year 0000 by offset', url: `/api/users/ana/observations?metric=heart_rate&from=${encodeURIComponent('0001-01-01T00:00:00+23:59')}&to=0001-01-02T00:00:00Z`, status: [400] },
    { name: 'NUL in a page cursor', url: hist(`page=${page({ at: '2026-11-01T10:00:00Z', id: 'a\u0000b' })}`), status: [400] },
    { name: 'lone surrogate in a page cursor', url: hist(`page=${page({ at: '2026-11-01T10:00:00Z', id: 'a\ud800b' })}`), status: [400] },
    { name: 'year 0000 in a page cursor', url: hist(`page=${page({ at: '0000-01-01T10:00:00Z', id: 'ab' })}`), status: [400] },
    { name: 'NUL in a sync cursor', url: `/api/users/ana/sync?cursor=${page({ txid: 1, id: '\u0000' })}`, status: [400] },
    { name: 'NUL in a query string', url: '/api/deadletters?reason=PH%00X', status: [400] },
    { name: 'lone surrogate in a query string', url: '/api/deadletters?reason=%ED%A0%80', status: [400] },
    { name: 'NUL in a session id', url: '/api/sessions/c-1%00', status: [400] },
    { name: 'NUL in a device id', url: '/api/devices/w%00', status: [400] },
    { name: 'NUL in a token id', method: 'DELETE', url: '/api/tokens/j%00', status: [400] },
    { name: 'component=__proto__', url: hist('component=__proto__&bucket=60s'), status: [400] },
    { name: 'component=constructor', url: hist('component=constructor&bucket=60s'), status: [400] },
    { name: 'component=toString', url: hist('component=tostring&bucket=60s'), status: [400] },
  ];

  it.each(cases)('$name → $status, no error-level log, no stack', async (c) => {
    const before = lines.length;
    const res = await web.app.inject({ method: c.method ?? 'GET', url: c.url, headers: { ...auth(), ...c.headers }, ...(c.body === undefined ? {} : { payload: c.body }) });
    expect(c.status, `${res.statusCode} ${res.body.slice(0, 200)}`).toContain(res.statusCode);
    if (res.headers['content-type']?.toString().includes('json')) expect(JSON.parse(res.body)).toHaveProperty('error.code');
    const logged = lines.slice(before);
    expect(logged.filter((l) => l.level >= 50), JSON.stringify(logged)).toEqual([]);
    expect(JSON.stringify(logged)).not.toContain('"stack"');
  });

  it('a generated set of hostile inputs on every registered route is never answered 5xx', async () => {
    const hostile = ['%00', '%ED%A0%80', '%FF', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59-23:59', '__proto__', 'constructor', '..%2f..%2f', 'x'.repeat(5000), '%2e%2e'];
    const routes = web.routes.filter((r) => !r.url.includes('*') && r.url !== '/live' && r.url !== '/mqtt');
    expect(routes.length).toBeGreaterThan(15);
    const before = lines.length;
    let n = 0;
    for (const r of routes) {
      for (const h of hostile) {
        const url = r.url.replace(/:[A-Za-z]+/g, h);
        for (const q of [`?page=${h}&cursor=${h}&from=${h}&to=${h}&metric=heart_rate&limit=${h}&reason=${h}&component=${h}`, `?${h}=${h}`]) {
          const res = await web.app.inject({ method: r.method as 'GET', url: `${url}${q}`, headers: auth(), ...(r.method === 'POST' ? { payload: { id: h, reason: h } } : {}) });
          n++;
          expect(res.statusCode, `${r.method} ${url}${q}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
        }
      }
    }
    expect(n).toBeGreaterThan(300);
    expect(lines.slice(before).filter((l) => l.level >= 50)).toEqual([]);
  });

  const PAGES = ['/', '/index.html', '/admin.html', '/athlete.html'];

  it.each([...PAGES, '/api/athletes', '/healthz', '/nope'])('%s carries CSP, frame-ancestors none, X-Frame-Options DENY, nosniff and a Referrer-Policy', async (url) => {
    const res = await web.app.inject({ url, headers: auth() });
    const csp = String(res.headers['content-security-policy'] ?? '');
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
  });

  it('the overlay page stays embeddable (OBS browser source) and still has a CSP', async () => {
    for (const url of ['/overlay.html', '/overlay.html?token=abc']) {
      const res = await web.app.inject({ url });
      expect(res.statusCode).toBe(200);
      const csp = String(res.headers['content-security-policy'] ?? '');
      expect(csp).toContain("default-src 'self'");
      expect(csp).toMatch(/frame-ancestors \*/);
      expect(res.headers['x-frame-options']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});
