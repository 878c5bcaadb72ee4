import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTokenService, generateSigningKey, type TokenService } from '@pulsehub/auth';
import type { CanonicalEvent, ServerMessage } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { createWebApp, type WebApp } from '@pulsehub/web';
import { LiveClient } from '@pulsehub/testkit';

// Issue 11, defect 2: after ana revoked her consent, the coach's open socket kept receiving
// her `tally` frames, a fresh subscribe answered `denied:["ana"]` still got her tallies,
// GET /api/sessions/:id returned her live bpm, and /end stored a summary with readings taken
// after the revocation. Real /live sockets and REST on a real Postgres; readings enter through
// LiveHub.publish (the door the broker's live topic uses).

/** Every frame since `from` that carries ana's data. */
const anaFrames = (c: LiveClient, from = 0): ServerMessage[] =>
  c.messages.slice(from).filter((m) =>
    (m.type === 'tally' && m.tally.athlete === 'ana') || (m.type === 'event' && m.event.userId === 'ana') || (m.type === 'snapshot' && m.athlete === 'ana') || (m.type === 'state' && m.athlete === 'ana'));

let seq = 0;
const hr = (userId: string, bpm: number, at = new Date()): CanonicalEvent => ({
  id: `cr-${userId}-${seq++}`, userId, deviceId: `w-${userId}`, metric: 'heart_rate', time: { at: at.toISOString() },
  values: { bpm: { value: bpm, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: new Date().toISOString() },
});

describe('revoking consent stops every path of class-session data for that coach', () => {
  let db: TestDatabase;
  let store: Store;
  let tokens: TokenService;
  let web: WebApp;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openStore(db.target);
    tokens = createTokenService({ current: generateSigningKey(), previous: [] });
    web = await createWebApp({ store, tokens, logger: pino({ level: 'silent' }), heartbeatMs: 60_000, revokeToken: async () => {} });
    port = (await web.listen({ port: 0 })).port;
    for (const id of ['ana', 'ben']) {
      await store.users.upsert({ id, name: id, birthYear: 1990 });
      await store.consents.grant(id, 'coach1');
    }
  });
  afterAll(async () => {
    await web?.close();
    await store?.close();
    await db?.drop();
  });

  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : null });
    return { status: res.status, json: (res.status === 204 ? {} : await res.json()) as Record<string, unknown> };
  };

  it('live tallies and events, a fresh subscribe, session REST and the end summary', async () => {
    const coach = (await tokens.mint({ subject: 'coach1', kind: 'coach', users: [], ttlSeconds: 600 })).token;
    const ana = (await tokens.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 })).token;
    const admin = (await tokens.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 })).token;
    const started = await api('POST', '/api/sessions', coach, { name: 'Spin', athletes: ['ana', 'ben'] });
    expect(started.status).toBe(201);
    const { id, startedAt } = started.json.session as { id: string; startedAt: string };

    const c1 = await LiveClient.open(port, coach, { ready: true });
    c1.send({ type: 'subscribe', session: id });
    await c1.next('snapshot', (m) => m.athlete === 'ana');
    await c1.next('snapshot', (m) => m.athlete === 'ben');
    const t0 = Date.parse(startedAt);
    web.hub.publish(hr('ana', 120, new Date(t0 + 10)));
    web.hub.publish(hr('ana', 122, new Date(t0 + 20)));
    await c1.next('tally', (m) => m.tally.athlete === 'ana' && m.tally.bpm === 122);

    expect((await api('DELETE', '/api/consents/ana/coach1', ana)).status).toBe(204);
    await c1.next('revoked', (m) => m.athlete === 'ana');
    const mark = c1.messages.length;
    await new Promise((r) => setTimeout(r, 20)); // the revocation instant is in the past for what follows

    // After the revocation: ana's readings keep coming, ben's too.
    web.hub.publish(hr('ana', 171));
    web.hub.publish(hr('ben', 131));
    await c1.next('tally', (m) => m.tally.athlete === 'ben' && m.tally.bpm === 131, { from: mark });
    expect(anaFrames(c1, mark)).toEqual([]);

    // A fresh subscribe: ana is denied, and none of her data arrives.
    const c2 = await LiveClient.open(port, coach, { ready: true });
    c2.send({ type: 'subscribe', session: id });
    const sub = await c2.next('subscribed');
    expect(sub.denied).toEqual(['ana']);
    await c2.next('snapshot', (m) => m.athlete === 'ben');
    web.hub.publish(hr('ana', 172));
    web.hub.publish(hr('ben', 132));
    await c2.next('tally', (m) => m.tally.athlete === 'ben' && m.tally.bpm === 132);
    await c1.next('tally', (m) => m.tally.athlete === 'ben' && m.tally.bpm === 132, { from: mark });
    expect(anaFrames(c2)).toEqual([]);
    expect(anaFrames(c1, mark)).toEqual([]);

    // Session REST: the coach gets no tally of ana; an admin still sees everything.
    const got = await api('GET', `/api/sessions/${id}`, coach);
    expect(got.status).toBe(200);
    expect((got.json.tallies as { athlete: string }[]).map((t) => t.athlete)).toEqual(['ben']);
    expect((await api('GET', `/api/sessions/${id}`, admin)).json.tallies as unknown[]).toHaveLength(2);

    // The end summary holds nothing ana sent after her revocation: her row stops at it.
    const ended = await api('POST', `/api/sessions/${id}/end`, coach);
    expect(ended.status).toBe(200);
    type Summary = { athleteId: string; readings: number; maxBpm: number | null };
    const anaOf = (rows: Summary[]) => rows.find((r) => r.athleteId === 'ana');
    expect(anaOf(ended.json.summaries as Summary[])).toMatchObject({ readings: 2, maxBpm: 122 });
    expect(anaOf(await store.classes.summaries(id))).toMatchObject({ readings: 2, maxBpm: 122 });
    expect(anaOf((await api('GET', `/api/sessions/${id}`, coach)).json.summaries as Summary[])).toMatchObject({ readings: 2, maxBpm: 122 });
    c1.ws.close();
    c2.ws.close();
  });
});
