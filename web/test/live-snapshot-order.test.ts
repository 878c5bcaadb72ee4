import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { createTokenService, generateSigningKey, type TokenService } from '@pulsehub/auth';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { LiveClient, waitFor } from '@pulsehub/testkit';
import { createWebApp, type WebApp } from '@pulsehub/web';

// A reading published while a viewer's snapshot is still loading must reach that viewer after
// the snapshot, never before it: a client applies the snapshot as the athlete's state, so a
// snapshot arriving after a newer reading would put the older value back on the board.
// The store is the real one (Postgres); one of the snapshot's queries waits on a gate the test
// opens, so the reading lands inside the load every time.

let seq = 0;
function hr(userId: string, bpm: number): CanonicalEvent {
  const at = new Date(Date.now() + seq).toISOString();
  return { id: `e-${userId}-${seq++}`, userId, deviceId: `w-${userId}`, metric: 'heart_rate', time: { at }, values: { bpm: { value: bpm, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: at } };
}

describe('live snapshot and readings that arrive while it loads', () => {
  let db: TestDatabase;
  let store: Store;
  let tokens: TokenService;
  let web: WebApp;
  let port: number;
  let gate: Promise<void> | null = null;
  const listCalls: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openStore(db.target);
    const alerts = new Proxy(store.alerts, {
      get(target, key, receiver) {
        if (key !== 'list') return Reflect.get(target, key, receiver) as unknown;
        return async (...args: Parameters<Store['alerts']['list']>) => {
          listCalls.push(args[0]);
          if (gate) await gate;
          return target.list(...args);
        };
      },
    });
    const gated = new Proxy(store, { get: (target, key, receiver) => (key === 'alerts' ? alerts : Reflect.get(target, key, receiver) as unknown) });
    tokens = createTokenService({ current: generateSigningKey(), previous: [] }, { isRevoked: () => false });
    web = await createWebApp({ store: gated, tokens, logger: pino({ level: 'silent' }), silenceMs: 60_000, staleMs: 30_000, heartbeatMs: 60_000, liveMaxLagMs: 1000, revokeToken: async () => {} });
    port = (await web.listen({ port: 0 })).port;
    await store.users.upsert({ id: 'cid', name: 'Cid', birthYear: 1990 });
    await store.users.upsert({ id: 'dot', name: 'Dot', birthYear: 1991 });
  });
  afterAll(async () => {
    await web?.close();
    await store?.close();
    await db?.drop();
  });

  it('sends the snapshot first, then every reading that arrived during the load, in order', async () => {
    web.hub.publish(hr('cid', 100));
    web.hub.publish(hr('dot', 80));
    const token = (await tokens.mint({ subject: 'admin', kind: 'admin', ttlSeconds: 60 })).token;
    const c = await LiveClient.open(port, token, { ready: true });
    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    const viewers = web.hub.viewerCount();
    c.send({ type: 'subscribe', athletes: ['cid', 'dot'] });
    await waitFor(() => web.hub.viewerCount() > viewers, { what: 'the viewer registered for cid' });
    web.hub.publish(hr('cid', 150));
    web.hub.publish(hr('cid', 151));
    gate = null;
    open();
    await c.next('snapshot', (m) => m.athlete === 'dot');
    const cid = await waitFor(() => {
      const seen = c.messages.filter((m) => (m.type === 'snapshot' || m.type === 'event') && (m.type === 'snapshot' ? m.athlete : m.event.userId) === 'cid');
      return seen.length >= 2 ? seen : undefined;
    }, { what: 'cid snapshot and frames' });
    expect(cid[0]!.type).toBe('snapshot');
    const snap = cid[0] as Extract<typeof cid[number], { type: 'snapshot' }>;
    expect(snap.events.find((e) => e.metric === 'heart_rate')?.values.bpm?.value).toBe(100);
    // The held frames conflate like any delta frame: the newest reading of the metric is what follows.
    const after = cid.slice(1).map((m) => (m.type === 'event' ? m.event.values.bpm?.value : m.type));
    expect(after.at(-1)).toBe(151);
    expect(after).not.toContain('snapshot');
    // Readings after the load go straight through.
    web.hub.publish(hr('cid', 152));
    await c.next('event', (m) => m.event.values.bpm?.value === 152);
    c.close();
  });

  it('boards subscribing to the same athlete at once share one load of its facts', async () => {
    const token = (await tokens.mint({ subject: 'admin', kind: 'admin', ttlSeconds: 60 })).token;
    const boards = await Promise.all(Array.from({ length: 10 }, () => LiveClient.open(port, token, { ready: true })));
    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    listCalls.length = 0;
    const viewers = web.hub.viewerCount();
    for (const b of boards) b.send({ type: 'subscribe', athletes: ['cid'] });
    await waitFor(() => web.hub.viewerCount() >= viewers + boards.length, { what: 'every board registered for cid' });
    gate = null;
    open();
    const snaps = await Promise.all(boards.map((b) => b.next('snapshot', (m) => m.athlete === 'cid')));
    expect(new Set(snaps.map((m) => m.name))).toEqual(new Set(['Cid']));
    expect(listCalls.filter((a) => a === 'cid')).toEqual(['cid']);
    // Once settled, a later subscriber asks again (nothing is cached beyond the load in flight).
    const late = await LiveClient.open(port, token, { ready: true });
    late.send({ type: 'subscribe', athletes: ['cid'] });
    await late.next('snapshot');
    expect(listCalls.filter((a) => a === 'cid')).toHaveLength(2);
    for (const c of [...boards, late]) c.close();
  });

  it('drops the held frames of an athlete revoked while its snapshot loads', async () => {
    await store.consents.grant('cid', 'coach-9');
    const m = await tokens.mint({ subject: 'coach-9', kind: 'coach', ttlSeconds: 60 });
    await store.tokens.record({ jti: m.jti, subject: 'coach-9', kind: 'coach' });
    const c = await LiveClient.open(port, m.token, { ready: true });
    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    const viewers = web.hub.viewerCount();
    c.send({ type: 'subscribe', athletes: ['cid'] });
    await waitFor(() => web.hub.viewerCount() > viewers, { what: 'the viewer registered for cid' });
    web.hub.publish(hr('cid', 170));
    expect(web.hub.revokeViewer('cid', 'coach-9')).toBe(1);
    gate = null;
    open();
    await c.next('revoked', (x) => x.athlete === 'cid');
    web.hub.publish(hr('dot', 90));
    // Let any frame still in flight arrive, then check: no snapshot and no reading of cid.
    await new Promise((r) => setTimeout(r, 200));
    expect(c.messages.filter((x) => x.type === 'snapshot' || (x.type === 'event' && x.event.userId === 'cid'))).toEqual([]);
    c.close();
  });
});
