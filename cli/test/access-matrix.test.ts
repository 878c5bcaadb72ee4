import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import mqtt from 'mqtt';
import pino from 'pino';
import { SignJWT } from 'jose';
import { generateSigningKey, type Keyring } from '@pulsehub/auth';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { loadConfig, startHub, type Hub } from '@pulsehub/cli';
import { LiveClient } from '@pulsehub/testkit';

// Issue 11: the access matrix. Every identity kind × every REST route, /live message and MQTT
// action, with the rightful owner as a control. REST rows are keyed by fastify's route table
// (WebApp.routes, filled by an onRoute hook): a route without a row fails the first test, so
// a new route cannot be added without saying who may call it. Refusals are audited.

type Id =
  | 'admin' | 'athlete' | 'coach' | 'device' | 'gateway' // rightful owners of ana's data / the hub (controls)
  | 'otherDevice' | 'unboundGateway' | 'coachNoConsent' | 'otherAthlete' | 'otherOverlay' // valid tokens, wrong subject
  | 'revoked' | 'expired' | 'algNone' | 'wrongKey' | 'anonymous'; // no valid token
const INVALID: Id[] = ['revoked', 'expired', 'algNone', 'wrongKey', 'anonymous'];
const ALL: Id[] = ['admin', 'athlete', 'coach', 'device', 'gateway', 'otherDevice', 'unboundGateway', 'coachNoConsent', 'otherAthlete', 'otherOverlay', ...INVALID];
const VALID = ALL.filter((i) => !INVALID.includes(i));

interface Row { path: string; body?: unknown; allow: Id[] }
/** Who may pass each route's access check (everyone else must get 401/403); `public` rows say why they have no token check. */
const REST: Record<string, Row | { public: string }> = {
  'GET /*': { public: 'the built pages and their assets; data comes only through the API and /live' },
  'GET /healthz': { public: 'load balancer health check; counts only, no athlete data' },
  'GET /metrics': { public: 'Prometheus scrape from loopback (as this test is) or with an admin/service token' },
  'GET /live': { public: 'WebSocket: the /live matrix below' },
  'GET /mqtt': { public: 'MQTT over WebSocket: the broker authenticates each CONNECT, the MQTT matrix below' },
  'POST /api/tokens': { path: '/api/tokens', body: { kind: 'coach', subject: 'c9' }, allow: ['admin'] },
  'POST /api/overlay-tokens': { path: '/api/overlay-tokens', body: { athleteId: 'ana' }, allow: ['admin', 'athlete'] },
  'DELETE /api/tokens/:jti': { path: '/api/tokens/nosuchjti123', allow: ['admin'] },
  'POST /api/users': { path: '/api/users', body: { id: 'zoe', name: 'Zoe' }, allow: ['admin'] },
  'POST /api/devices': { path: '/api/devices', body: { id: 'strap-ana', userId: 'ana', kind: 'strap' }, allow: ['admin', 'gateway'] },
  'GET /api/athletes': { path: '/api/athletes', allow: VALID },
  'POST /api/consents': { path: '/api/consents', body: { athleteId: 'ana', viewerId: 'coach9' }, allow: ['admin', 'athlete'] },
  'DELETE /api/consents/:athleteId/:viewerId': { path: '/api/consents/ana/coach9', allow: ['admin', 'athlete'] },
  'GET /api/deadletters': { path: '/api/deadletters', allow: ['admin'] },
  'GET /api/devices': { path: '/api/devices', allow: ['admin'] },
  'GET /api/devices/:id': { path: '/api/devices/w-ana', allow: ['admin'] },
  'POST /api/gateways': { path: '/api/gateways', body: { id: 'gw-new', users: ['ana'] }, allow: ['admin'] },
  'POST /api/devices/:id/tokens': { path: '/api/devices/w-ana/tokens', allow: ['admin'] },
  'POST /api/devices/:id/restore': { path: '/api/devices/w-ana/restore', allow: ['admin'] },
  'DELETE /api/devices/:id': { path: '/api/devices/no-such-device', allow: ['admin'] },
  'POST /api/sessions': { path: '/api/sessions', body: { name: 'Spin', athletes: ['ana'] }, allow: ['admin', 'coach'] },
  'GET /api/sessions': { path: '/api/sessions', allow: ['admin', 'coach', 'coachNoConsent'] },
  'GET /api/sessions/:id': { path: '/api/sessions/{session}', allow: ['admin', 'coach'] },
  'POST /api/sessions/:id/end': { path: '/api/sessions/{endable}/end', allow: ['admin', 'coach'] },
  'POST /api/sessions/:id/timer': { path: '/api/sessions/{session}/timer', body: { workSec: 30, restSec: 10, rounds: 3 }, allow: ['admin', 'coach'] },
  'DELETE /api/sessions/:id/timer': { path: '/api/sessions/{session}/timer', allow: ['admin', 'coach'] },
  'GET /api/admin/users': { path: '/api/admin/users', allow: ['admin'] },
  'GET /api/admin/tokens': { path: '/api/admin/tokens', allow: ['admin'] },
  'GET /api/admin/consents': { path: '/api/admin/consents', allow: ['admin'] },
  'GET /api/admin/audit': { path: '/api/admin/audit', allow: ['admin'] },
  'GET /api/users/:id/observations': { path: '/api/users/ana/observations?metric=heart_rate&from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z', allow: ['admin', 'athlete', 'coach'] },
  'GET /api/users/:id/observations/latest': { path: '/api/users/ana/observations/latest', allow: ['admin', 'athlete', 'coach'] },
  'GET /api/users/:id/daily': { path: '/api/users/ana/daily?from=2026-11-01&to=2026-11-02', allow: ['admin', 'athlete', 'coach'] },
  'GET /api/users/:id/sync': { path: '/api/users/ana/sync', allow: ['admin', 'athlete', 'coach'] },
  'POST /api/shared-scales': { path: '/api/shared-scales', body: { id: 'scale-home', users: ['ana', 'ben'] }, allow: ['admin'] },
  'GET /api/pending-readings': { path: '/api/pending-readings', allow: ['admin'] },
  'GET /api/users/:id/pending-readings': { path: '/api/users/ana/pending-readings', allow: ['admin', 'athlete'] },
  'POST /api/pending-readings/:id/assign': { path: '/api/pending-readings/pending-ana/assign', body: { userId: 'ana' }, allow: ['admin', 'athlete'] },
  'DELETE /api/pending-readings/:id': { path: '/api/pending-readings/pending-ana', allow: ['admin', 'athlete'] },
  'GET /api/users/:id/profile': { path: '/api/users/ana/profile', allow: ['admin', 'athlete'] },
  'PATCH /api/users/:id/profile': { path: '/api/users/ana/profile', body: { ftpWatts: 250 }, allow: ['admin', 'athlete'] },
  'GET /api/users/:id/hrv/daily': { path: '/api/users/ana/hrv/daily?from=2026-11-01&to=2026-11-02', allow: ['admin', 'athlete', 'coach'] },
  'GET /api/deadletters/:id': { path: '/api/deadletters/1', allow: ['admin'] },
  'POST /api/deadletters/replay': { path: '/api/deadletters/replay', body: { id: 1 }, allow: ['admin'] },
};

describe('access matrix: every identity × every REST route, /live message and MQTT action', () => {
  let db: TestDatabase;
  let dataDir: string;
  let hub: Hub;
  const keyring: Keyring = { current: generateSigningKey(), previous: [] };
  const tok = {} as Record<Id, string | null>;
  const logLines: string[] = [];
  let session = '';
  let endable = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-matrix-'));
    const sink = new Writable({ write(c: Buffer, _e, cb) { logLines.push(c.toString()); cb(); } });
    hub = await startHub({ config: loadConfig({ PULSEHUB_DATA_DIR: dataDir, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0' }), keyring, storeTarget: db.target, logger: pino({ level: 'warn' }, sink) });
    for (const id of ['ana', 'ben']) await hub.store.users.upsert({ id, name: id });
    await hub.store.consents.grant('ana', 'coach1');
    await hub.store.devices.upsert({ id: 'w-ana', userId: 'ana', kind: 'watch' });
    await hub.store.devices.upsert({ id: 'w-ben', userId: 'ben', kind: 'watch' });
    const m = (subject: string, kind: Parameters<Hub['mint']>[0]['kind'], users: string[] = []) => hub.mint({ subject, kind, users, ttlSeconds: 600 });
    tok.admin = await m('root', 'admin');
    tok.athlete = await m('ana', 'athlete', ['ana']);
    tok.coach = await m('coach1', 'coach');
    tok.device = await m('w-ana', 'device', ['ana']);
    tok.gateway = await m('gw-ana', 'gateway', ['ana']);
    tok.otherDevice = await m('w-ben', 'device', ['ben']);
    tok.unboundGateway = await m('gw-none', 'gateway', []);
    tok.coachNoConsent = await m('coach2', 'coach');
    tok.otherAthlete = await m('ben', 'athlete', ['ben']);
    tok.otherOverlay = await m('overlay-ben', 'overlay', ['ben']);
    tok.revoked = await m('root2', 'admin');
    await hub.store.tokens.revoke(JSON.parse(Buffer.from(tok.revoked.split('.')[1]!, 'base64url').toString()).jti);
    await hub.web.app.inject({ method: 'DELETE', url: `/api/tokens/${JSON.parse(Buffer.from(tok.revoked.split('.')[1]!, 'base64url').toString()).jti}`, headers: { authorization: `Bearer ${tok.admin}` } });
    const claims = { kind: 'admin', users: [] };
    const now = Math.floor(Date.now() / 1000);
    const sign = (k: { kid: string; secret: string }, iat: number, exp: number) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: k.kid, typ: 'JWT' }).setSubject('root').setIssuer('pulsehub').setAudience('pulsehub').setJti('forged-12345').setIssuedAt(iat).setExpirationTime(exp).sign(new Uint8Array(Buffer.from(k.secret, 'base64url')));
    tok.expired = await sign(keyring.current, now - 7200, now - 3600);
    tok.wrongKey = await sign({ kid: keyring.current.kid, secret: generateSigningKey().secret }, now, now + 600);
    tok.algNone = `${Buffer.from(JSON.stringify({ alg: 'none', kid: keyring.current.kid, typ: 'JWT' })).toString('base64url')}.${tok.admin.split('.')[1]}.`;
    tok.anonymous = null;
    const start = async () => (JSON.parse((await hub.web.app.inject({ method: 'POST', url: '/api/sessions', headers: { authorization: `Bearer ${tok.coach}` }, payload: { name: 'x', athletes: ['ana'] } })).body) as { session: { id: string } }).session.id;
    // a weigh-in of a shared scale waiting for its owner: ana may take it, ben may not
    await hub.store.sharedScales.addPending({ id: 'pending-ana', scaleId: 'scale-home', publisherId: 'gw-ana', measuredAt: new Date(), kg: 61.5, impedanceOhm: null, reason: 'guest', candidates: ['ana'], events: [] });
    session = await start();
    endable = await start();
  });
  afterAll(async () => {
    await hub?.close();
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const inject = (who: Id, method: string, path: string, body?: unknown) => hub.web.app.inject({
    method: method as 'GET', url: path.replace('{session}', session).replace('{endable}', endable),
    headers: tok[who] ? { authorization: `Bearer ${tok[who]}` } : {}, ...(body === undefined ? {} : { payload: body as object }),
  });

  it('has a row for every registered route, and no row for a route that is gone', () => {
    const registered = hub.web.routes.map((r) => `${r.method} ${r.url}`);
    expect(registered.filter((r) => !(r in REST)), 'routes without a matrix row').toEqual([]);
    expect(Object.keys(REST).filter((r) => !registered.includes(r)), 'rows for routes that are gone').toEqual([]);
  });

  it('REST: every identity outside a route\'s allow list is refused (401/403); the rightful ones get through; refusals are audited', async () => {
    const failures: string[] = [];
    const rows = Object.entries(REST).filter((e): e is [string, Row] => 'path' in e[1]);
    for (const [key, row] of rows) {
      const method = key.split(' ')[0]!;
      for (const who of ALL.filter((i) => !row.allow.includes(i))) {
        const res = await inject(who, method, row.path, row.body);
        if (res.statusCode !== 401 && res.statusCode !== 403) failures.push(`${who} ${key}: ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
    }
    for (const [key, row] of rows) {
      for (const who of row.allow) {
        const res = await inject(who, key.split(' ')[0]!, row.path, row.body);
        if (res.statusCode === 401 || res.statusCode === 403) failures.push(`control ${who} ${key}: ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
    await hub.web.refusals.settle();
    const audit = await hub.store.audit.list({ limit: 1000 });
    const denied = audit.filter((a) => a.action === 'access.denied');
    for (const [key, row] of rows) {
      if (row.allow.length === ALL.length) continue;
      const target = `${key.split(' ')[0]} ${row.path.split('?')[0]!.replace('{session}', session).replace('{endable}', endable)}`;
      expect(denied.some((a) => a.target === target), `an access.denied row for ${target}`).toBe(true);
    }
    expect(denied.some((a) => a.actor === 'anonymous' && a.actorKind === 'unauthenticated')).toBe(true);
  });

  it('refusal audit is bounded: 200 identical refusals write one row', async () => {
    for (let i = 0; i < 200; i++) await inject('coachNoConsent', 'GET', '/api/admin/users');
    await hub.web.refusals.settle();
    const audit = await hub.store.audit.list({ limit: 1000 });
    expect(audit.filter((a) => a.action === 'access.denied' && a.actor === 'coach2' && a.target === 'GET /api/admin/users')).toHaveLength(1);
  });

  it('/live: bad tokens are closed 4401; subscribing to ana or to the coach\'s class is refused outside the rule; refusals audited', async () => {
    const failures: string[] = [];
    const athleteAllowed: Id[] = ['admin', 'athlete', 'coach'];
    const sessionAllowed: Id[] = ['admin', 'coach'];
    for (const who of ALL) {
      const c = await LiveClient.open(hub, tok[who] ?? 'none');
      if (INVALID.includes(who)) {
        const closed = await c.closed;
        if (closed.code !== 4401) failures.push(`${who}: closed ${closed.code}`);
        continue;
      }
      await c.next('ready');
      c.send({ type: 'subscribe', athletes: ['ana'] });
      const sub = await c.next('subscribed');
      if (athleteAllowed.includes(who) !== sub.athletes.includes('ana')) failures.push(`${who} subscribe ana: ${JSON.stringify(sub)}`);
      c.send({ type: 'subscribe', session });
      const answer = await Promise.race([c.next('subscribed', (m) => m.session === session).then(() => 'subscribed'), c.next('error').then((e) => e.code)]);
      if ((answer === 'subscribed') !== sessionAllowed.includes(who)) failures.push(`${who} subscribe session: ${answer}`);
      c.close();
    }
    expect(failures).toEqual([]);
    await hub.web.refusals.settle();
    const audit = (await hub.store.audit.list({ limit: 1000 })).filter((a) => a.action === 'access.denied');
    expect(audit.some((a) => a.target === '/live auth' && a.actor === 'anonymous')).toBe(true);
    expect(audit.some((a) => a.target === '/live subscribe ana' && a.actor === 'coach2')).toBe(true);
    expect(audit.some((a) => a.target === `/live subscribe session ${session}` && a.actor === 'coach2')).toBe(true);
  });

  it('MQTT: connect, then each publish and subscribe on the relevant topics, for every identity; refusals are logged', async () => {
    const failures: string[] = [];
    const actions: { name: string; allow: Id[]; run: (c: mqtt.MqttClient) => Promise<boolean> }[] = [
      { name: 'publish users/ana/events', allow: ['admin', 'device', 'gateway'], run: (c) => publishes(c, 'users/ana/events', JSON.stringify({ metric: 'heart_rate', values: { bpm: 70 } })) },
      { name: 'publish gateways/gw-ana/status', allow: ['admin', 'gateway'], run: (c) => publishes(c, 'gateways/gw-ana/status', '{"online":true}') },
      { name: 'publish live/users/ana (forged live data)', allow: [], run: (c) => publishes(c, 'live/users/ana', '{}') },
      // SUBACK 0x80 for a refused filter: mqtt.js rejects the subscribe.
      { name: 'subscribe live/users/ana', allow: ['admin', 'athlete', 'coach'], run: (c) => c.subscribeAsync('live/users/ana', { qos: 0 }).then((g) => g[0]?.qos !== 128, () => false) },
      { name: 'subscribe users/ana/#', allow: ['admin', 'device', 'gateway'], run: (c) => c.subscribeAsync('users/ana/#', { qos: 0 }).then((g) => g[0]?.qos !== 128, () => false) },
    ];
    const publishes = (c: mqtt.MqttClient, topic: string, payload: string) => Promise.race([
      c.publishAsync(topic, payload, { qos: 1 }).then(() => true, () => false),
      new Promise<boolean>((r) => c.once('close', () => r(false))),
      new Promise<boolean>((r) => setTimeout(() => r(false), 3000)),
    ]);
    const usernames: Partial<Record<Id, string>> = {
      admin: 'root', athlete: 'ana', coach: 'coach1', device: 'w-ana', gateway: 'gw-ana', otherDevice: 'w-ben', unboundGateway: 'gw-none',
      coachNoConsent: 'coach2', otherAthlete: 'ben', otherOverlay: 'overlay-ben', revoked: 'root2', expired: 'root', algNone: 'root', wrongKey: 'root',
    };
    const connect = async (who: Id) => {
      const client = mqtt.connect({ host: hub.mqtt.host, port: hub.mqtt.port, username: usernames[who], password: tok[who] ?? undefined, clientId: `m-${who}`, reconnectPeriod: 0, connectTimeout: 3000 });
      const ok = await new Promise<boolean>((r) => { client.once('connect', () => r(true)); client.once('error', () => r(false)); client.once('close', () => r(false)); });
      return { client, ok };
    };
    for (const who of ALL) {
      if (INVALID.includes(who)) {
        const { client, ok } = await connect(who);
        if (ok) failures.push(`${who}: connected`);
        client.end(true);
        continue;
      }
      for (const action of actions) {
        const { client, ok } = await connect(who);
        if (!ok) failures.push(`${who}: could not connect`);
        else if ((await action.run(client)) !== action.allow.includes(who)) failures.push(`${who} ${action.name}: ${action.allow.includes(who) ? 'refused' : 'allowed'}`);
        client.end(true);
      }
    }
    expect(failures).toEqual([]);
    const log = logLines.join('');
    expect(log).toContain('connect refused');
    expect(log).toContain('publish refused');
    expect(log).toContain('subscribe refused');
  });
});
