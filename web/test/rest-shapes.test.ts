import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { z } from 'zod';
import { createTokenService, generateSigningKey, type TokenService } from '@pulsehub/auth';
import {
  AdminAuditResponse, AdminConsentsResponse, AdminTokensResponse, AdminUsersResponse, AthletesResponse, BucketsResponse, DailyResponse,
  DeadLettersResponse, DeviceRegisteredResponse, DevicesResponse, LatestResponse, MintedTokenResponse, OverlayTokenResponse,
  PendingReadingsResponse, ProfileResponse, SessionResponse, SessionStartedResponse, SessionsResponse, TimerResponse, type CanonicalEvent,
} from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { createWebApp, type WebApp } from '@pulsehub/web';
import { answer } from '../src/routes/answer.js';

// The REST answers the pages read, parsed with their schemas in contracts (rest.ts): a route
// that renames, drops or retypes a field fails here instead of in a browser.

const hr = (id: string, at: string, bpm: number): CanonicalEvent => ({
  id, userId: 'ana', deviceId: 'watch-a', metric: 'heart_rate', time: { at }, values: { bpm: { value: bpm, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: at },
});

describe('REST answers match their schemas in contracts', () => {
  let db: TestDatabase;
  let store: Store;
  let tokens: TokenService;
  let web: WebApp;
  let admin: string;
  let coach: string;

  const call = async (token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) => {
    const res = await web.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return JSON.parse(res.body) as unknown;
  };
  /** Parses the answer with its schema; the zod error names the field that drifted. */
  const shaped = async <S extends z.ZodType>(schema: S, token: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<z.infer<S>> => {
    const r = schema.safeParse(await call(token, method, url, body));
    expect(r.success ? [] : r.error.issues, `${method} ${url}`).toEqual([]);
    return r.data as z.infer<S>;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openStore(db.target);
    tokens = createTokenService({ current: generateSigningKey(), previous: [] });
    web = await createWebApp({ store, tokens, logger: pino({ level: 'silent' }), revokeToken: async () => {} });
    admin = (await tokens.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 })).token;
    coach = (await tokens.mint({ subject: 'coach1', kind: 'coach', ttlSeconds: 600 })).token;
    await call(admin, 'POST', '/api/users', { id: 'ana', name: 'Ana', birthYear: 1990 });
    await call(admin, 'POST', '/api/users', { id: 'ben', name: 'Ben' });
    await call(admin, 'POST', '/api/consents', { athleteId: 'ana', viewerId: 'coach1' });
    await call(admin, 'POST', '/api/shared-scales', { id: 'scale1', users: ['ana', 'ben'] });
    await store.observations.commitBatch({
      users: ['ana'],
      events: [hr('e1', '2026-11-20T10:00:00Z', 120), hr('e2', '2026-11-20T10:00:30Z', 140)],
      deadLetters: [{ topic: 'users/ana/events', deviceId: 'watch-a', userId: 'ana', reason: 'PH_INGEST_PAYLOAD_NOT_JSON', detail: 'bad', payload: Buffer.from('{') }],
    });
    await store.sharedScales.addPending({
      id: 'p1', scaleId: 'scale1', publisherId: 'gw1', measuredAt: new Date('2026-11-20T07:00:00Z'), kg: 70.2, impedanceOhm: null, reason: 'ambiguous', candidates: ['ana', 'ben'], events: [],
    });
  });
  afterAll(async () => {
    await web?.close();
    await store?.close();
    await db?.drop();
  });

  it('routes mark their answers with the schema, so a drift fails typecheck', () => {
    const row = { id: 'a', name: 'A', birthYear: 1990, maxHr: null, ftpWatts: null };
    expect(answer(AdminUsersResponse, { users: [row] }).users).toHaveLength(1);
    // @ts-expect-error: a Date serializes to a string, and birthYear is a number
    answer(AdminUsersResponse, { users: [{ ...row, birthYear: new Date() }] });
    // @ts-expect-error: a field the schema requires is missing
    answer(AdminUsersResponse, { users: [{ id: 'a', name: 'A' }] });
  });

  it('admin lists: users, devices, tokens, consents, audit, dead letters', async () => {
    const registered = await shaped(DeviceRegisteredResponse, admin, 'POST', '/api/devices', { id: 'watch-a', userId: 'ana', kind: 'watch' });
    expect(registered.mqtt.username).toBe('watch-a');
    await shaped(MintedTokenResponse, admin, 'POST', '/api/tokens', { kind: 'coach', subject: 'coach2', ttlSeconds: 600 });
    expect((await shaped(AdminUsersResponse, admin, 'GET', '/api/admin/users')).users.map((u) => u.id)).toEqual(expect.arrayContaining(['ana', 'ben']));
    expect((await shaped(DevicesResponse, admin, 'GET', '/api/devices')).devices.map((d) => d.id)).toEqual(expect.arrayContaining(['watch-a', 'scale1']));
    expect((await shaped(AdminTokensResponse, admin, 'GET', '/api/admin/tokens')).tokens.length).toBeGreaterThan(0);
    expect((await shaped(AdminConsentsResponse, admin, 'GET', '/api/admin/consents')).consents).toHaveLength(1);
    expect((await shaped(AdminAuditResponse, admin, 'GET', '/api/admin/audit')).audit.length).toBeGreaterThan(0);
    expect((await shaped(DeadLettersResponse, admin, 'GET', '/api/deadletters?limit=100')).deadLetters).toHaveLength(1);
  });

  it('athlete pages: athletes, profile, overlay token, history buckets, latest, daily, pending weigh-ins', async () => {
    expect((await shaped(AthletesResponse, coach, 'GET', '/api/athletes')).athletes).toEqual([{ id: 'ana', name: 'Ana' }]);
    expect((await shaped(ProfileResponse, admin, 'GET', '/api/users/ana/profile')).profile.birthYear).toBe(1990);
    expect((await shaped(ProfileResponse, admin, 'PATCH', '/api/users/ana/profile', { ftpWatts: 250 })).profile.ftpWatts).toBe(250);
    expect((await shaped(OverlayTokenResponse, admin, 'POST', '/api/overlay-tokens', { athleteId: 'ana' })).url).toMatch(/^\/overlay\.html\?token=/);
    const q = new URLSearchParams({ metric: 'heart_rate', from: '2026-11-20T09:00:00Z', to: '2026-11-20T11:00:00Z', bucket: '60s' });
    expect((await shaped(BucketsResponse, coach, 'GET', `/api/users/ana/observations?${q}`)).buckets).toHaveLength(1);
    expect((await shaped(LatestResponse, coach, 'GET', '/api/users/ana/observations/latest')).events).toHaveLength(1);
    expect((await shaped(DailyResponse, coach, 'GET', '/api/users/ana/daily?from=2026-11-20&to=2026-11-20')).days).toHaveLength(1);
    expect((await shaped(PendingReadingsResponse, admin, 'GET', '/api/pending-readings')).pending.map((p) => p.id)).toEqual(['p1']);
    expect((await shaped(PendingReadingsResponse, admin, 'GET', '/api/users/ana/pending-readings')).pending).toHaveLength(1);
  });

  it('class sessions: start, list, live tallies, timer, end, summaries', async () => {
    const { session } = await shaped(SessionStartedResponse, coach, 'POST', '/api/sessions', { name: 'Spin', athletes: ['ana'] });
    expect((await shaped(SessionsResponse, coach, 'GET', '/api/sessions')).sessions.map((s) => s.id)).toEqual([session.id]);
    expect((await shaped(SessionResponse, coach, 'GET', `/api/sessions/${session.id}`)).tallies).toBeDefined();
    expect((await shaped(TimerResponse, coach, 'POST', `/api/sessions/${session.id}/timer`, { workSec: 30, restSec: 10, rounds: 4 })).timer?.rounds).toBe(4);
    expect((await shaped(TimerResponse, coach, 'DELETE', `/api/sessions/${session.id}/timer`)).timer?.stoppedAt).not.toBeNull();
    await call(coach, 'POST', `/api/sessions/${session.id}/end`);
    expect((await shaped(SessionResponse, coach, 'GET', `/api/sessions/${session.id}`)).summaries).toHaveLength(1);
  });
});
