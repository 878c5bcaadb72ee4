import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { z } from 'zod';
import { createTokenService, generateSigningKey, type TokenService } from '@pulsehub/auth';
import {
  AdminAuditResponse, AdminConsentsResponse, AdminTokensResponse, AdminUsersResponse, AthletesResponse, BucketsResponse, DailyResponse,
  DeadLettersResponse, DeviceRegisteredResponse, DevicesResponse, LatestResponse, MintedTokenResponse, OverlayTokenResponse, PhoneDeviceResponse, MyClassTimersResponse,
  PendingReadingsResponse, ProfileResponse, AlertsResponse, AlertResponse, AlertRulesResponse, InsightsResponse, SessionResponse, SessionStartedResponse, SessionsResponse, TimerResponse, type CanonicalEvent,
  WebhookCreatedResponse, WebhookDetailResponse, WebhooksResponse,
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

  const call = async (token: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown) => {
    const res = await web.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { payload: body as object }) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return JSON.parse(res.body) as unknown;
  };
  /** Parses the answer with its schema; the zod error names the field that drifted. */
  const shaped = async <S extends z.ZodType>(schema: S, token: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<z.infer<S>> => {
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
    // The phone app (issue 18): an athlete registers a phone for themselves; its token is a device token for ana.
    const athlete = (await tokens.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 })).token;
    const phone = await shaped(PhoneDeviceResponse, athlete, 'POST', '/api/phone-devices', { athleteId: 'ana' });
    expect(phone.device).toMatchObject({ userId: 'ana', kind: 'phone' });
    expect(phone.url).toMatch(/^\/app\/#device=phone-ana-[0-9a-f]{8}&user=ana&maxHr=\d+&token=/);
    expect(await tokens.verify(phone.mqtt.password)).toMatchObject({ kind: 'device', subject: phone.device.id, users: ['ana'] });
    const refused = await web.app.inject({ method: 'POST', url: '/api/phone-devices', headers: { authorization: `Bearer ${athlete}` }, payload: { athleteId: 'ben' } });
    expect(refused.statusCode).toBe(403);
    const q = new URLSearchParams({ metric: 'heart_rate', from: '2026-11-20T09:00:00Z', to: '2026-11-20T11:00:00Z', bucket: '60s' });
    expect((await shaped(BucketsResponse, coach, 'GET', `/api/users/ana/observations?${q}`)).buckets).toHaveLength(1);
    expect((await shaped(LatestResponse, coach, 'GET', '/api/users/ana/observations/latest')).events).toHaveLength(1);
    expect((await shaped(DailyResponse, coach, 'GET', '/api/users/ana/daily?from=2026-11-20&to=2026-11-20')).days).toHaveLength(1);
    expect((await shaped(PendingReadingsResponse, admin, 'GET', '/api/pending-readings')).pending.map((p) => p.id)).toEqual(['p1']);
    expect((await shaped(PendingReadingsResponse, admin, 'GET', '/api/users/ana/pending-readings')).pending).toHaveLength(1);
  });

  it('alerts: list, acknowledge, rule overrides, insights; the profile time zone', async () => {
    const raised = await store.alerts.raise({ userId: 'ana', ruleId: 'bp-crisis', severity: 'critical', title: 'Hypertensive crisis: 185/125 mm Hg', detail: { systolic: 185, diastolic: 125 }, readingIds: ['bp1'] });
    const id = raised!.alert.id;
    expect((await shaped(AlertsResponse, coach, 'GET', '/api/users/ana/alerts?open=true')).alerts.map((a) => a.id)).toEqual([id]);
    expect((await shaped(AlertResponse, coach, 'POST', `/api/users/ana/alerts/${id}/ack`)).alert).toMatchObject({ ackedBy: 'coach1', resolvedAt: null });
    // A second acknowledgement keeps the first one's who and when.
    const ana = (await tokens.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 })).token;
    expect((await shaped(AlertResponse, ana, 'POST', `/api/users/ana/alerts/${id}/ack`)).alert.ackedBy).toBe('coach1');
    const rules = await shaped(AlertRulesResponse, ana, 'PUT', '/api/users/ana/alert-rules/glucose-range', { params: { high: 160 } });
    expect(rules.rules.find((r) => r.id === 'glucose-range')).toMatchObject({ overridden: true, params: { low: 70, high: 160 }, defaults: { high: 180 } });
    const bad = await web.app.inject({ method: 'PUT', url: '/api/users/ana/alert-rules/glucose-range', headers: { authorization: `Bearer ${ana}` }, payload: { params: { hgih: 1 } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('hgih');
    expect((await shaped(AlertRulesResponse, ana, 'DELETE', '/api/users/ana/alert-rules/glucose-range')).rules.find((r) => r.id === 'glucose-range')?.overridden).toBe(false);
    const insights = await shaped(InsightsResponse, coach, 'GET', '/api/users/ana/insights');
    expect(insights.correlations[0]).toMatchObject({ id: 'sleep-vs-next-day-resting-hr', n: 0, r: null, status: 'not-enough-data' });
    expect((await shaped(ProfileResponse, ana, 'PATCH', '/api/users/ana/profile', { timeZone: 'Europe/Lisbon' })).profile.timeZone).toBe('Europe/Lisbon');
    const tz = await web.app.inject({ method: 'PATCH', url: '/api/users/ana/profile', headers: { authorization: `Bearer ${ana}` }, payload: { timeZone: 'Mars/Olympus' } });
    expect(tz.statusCode).toBe(400);
  });

  it('class sessions: start, list, live tallies, timer, end, summaries', async () => {
    const { session } = await shaped(SessionStartedResponse, coach, 'POST', '/api/sessions', { name: 'Spin', athletes: ['ana'] });
    expect((await shaped(SessionsResponse, coach, 'GET', '/api/sessions')).sessions.map((s) => s.id)).toEqual([session.id]);
    expect((await shaped(SessionResponse, coach, 'GET', `/api/sessions/${session.id}`)).tallies).toBeDefined();
    expect((await shaped(TimerResponse, coach, 'POST', `/api/sessions/${session.id}/timer`, { workSec: 30, restSec: 10, rounds: 4 })).timer?.rounds).toBe(4);
    // The athlete's phone (a device token for ana) sees the class timer, ben's sees none.
    const anaPhone = (await tokens.mint({ subject: 'phone-ana', kind: 'device', users: ['ana'], ttlSeconds: 600 })).token;
    const benPhone = (await tokens.mint({ subject: 'phone-ben', kind: 'device', users: ['ben'], ttlSeconds: 600 })).token;
    expect((await shaped(MyClassTimersResponse, anaPhone, 'GET', '/api/my-class-timers')).timers).toEqual([expect.objectContaining({ session: session.id, name: 'Spin', timer: expect.objectContaining({ workSec: 30, rounds: 4 }) })]);
    expect((await shaped(MyClassTimersResponse, benPhone, 'GET', '/api/my-class-timers')).timers).toEqual([]);
    expect((await shaped(TimerResponse, coach, 'DELETE', `/api/sessions/${session.id}/timer`)).timer?.stoppedAt).not.toBeNull();
    await call(coach, 'POST', `/api/sessions/${session.id}/end`);
    expect((await shaped(SessionResponse, coach, 'GET', `/api/sessions/${session.id}`)).summaries).toHaveLength(1);
  });

  it('webhooks (issue 14): create, list, one with its deliveries, change, replay, delete', async () => {
    const created = await shaped(WebhookCreatedResponse, admin, 'POST', '/api/webhooks', { userId: 'ana', url: 'https://hooks.example.com/pulse', events: ['alert.opened', 'goal.reached'], windowMs: 1000 });
    const id = created.webhook.id;
    expect(created.webhook.events).toEqual(['alert.opened', 'goal.reached']);
    expect((await shaped(WebhooksResponse, admin, 'GET', '/api/webhooks?userId=ana')).webhooks.map((w) => w.id)).toContain(id);
    expect((await shaped(WebhookDetailResponse, admin, 'GET', `/api/webhooks/${id}`)).deliveries).toEqual([]);
    expect((await shaped(WebhookCreatedResponse.pick({ webhook: true }), admin, 'PATCH', `/api/webhooks/${id}`, { active: false })).webhook.active).toBe(false);
    expect(await call(admin, 'POST', '/api/webhooks/deliveries/replay', { subscriptionId: id })).toEqual({ replayed: [] });
    expect(await call(admin, 'DELETE', `/api/webhooks/${id}`)).toEqual({ deleted: true });
  });
});
