import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { LiveClient, startTestBroker, type TestBroker } from '@pulsehub/testkit';
import { createWebApp, type WebApp } from '@pulsehub/web';

// Two web nodes on one real broker and one Postgres: an analyzer insight stored by the node
// that ran the sync reaches the athlete's viewers on the other node too, and only them.

describe('analyzer insights across web nodes', () => {
  let db: TestDatabase;
  let store: Store;
  let broker: TestBroker;
  const nodes: { web: WebApp; port: number }[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openStore(db.target);
    broker = await startTestBroker();
    for (let i = 0; i < 2; i++) {
      const web = await createWebApp({ store, tokens: broker.tokens, logger: pino({ level: 'silent' }), silenceMs: 60_000, staleMs: 30_000, heartbeatMs: 60_000, liveMaxLagMs: 1000, revokeToken: async () => {} });
      const port = (await web.listen({ port: 0 })).port;
      const token = (await broker.tokens.mint({ subject: 'pulsehub-web', kind: 'service' })).token;
      await web.hub.connect({ host: '127.0.0.1', port: broker.port, username: 'pulsehub-web', token });
      nodes.push({ web, port });
    }
    for (const id of ['ana', 'ben']) await store.users.upsert({ id, name: id, birthYear: 1990 });
  });
  afterAll(async () => {
    for (const n of nodes) await n.web.close();
    await broker?.close();
    await store?.close();
    await db?.drop();
  });

  it('an insight announced on node A is pushed to a viewer of the athlete on node B, not to a viewer of another athlete', async () => {
    const token = (await broker.tokens.mint({ subject: 'admin', kind: 'admin', ttlSeconds: 60 })).token;
    const onB = await LiveClient.open(nodes[1]!.port, token, { ready: true });
    const other = await LiveClient.open(nodes[1]!.port, token, { ready: true });
    onB.send({ type: 'subscribe', athletes: ['ana'] });
    other.send({ type: 'subscribe', athletes: ['ben'] });
    await onB.next('snapshot');
    await other.next('snapshot');
    const insight = { id: 7, kind: 'hr_trend', severity: 'info', title: 'Resting HR down', body: 'Down 3 bpm over 7 days', metric: 'heart_rate', at: null, createdAt: new Date().toISOString() };
    nodes[0]!.web.hub.announceInsight('ana', insight);
    const got = await onB.next('insight');
    expect(got).toEqual({ type: 'insight', athlete: 'ana', insight });
    // The control: a reading for ben still reaches `other`, and no insight ever did.
    const e: CanonicalEvent = { id: 'e-ben-1', userId: 'ben', deviceId: 'w-ben', metric: 'heart_rate', time: { at: new Date().toISOString() }, values: { bpm: { value: 70, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: new Date().toISOString() } };
    nodes[1]!.web.hub.publish(e);
    await other.next('event');
    expect(other.messages.filter((m) => m.type === 'insight')).toEqual([]);
    onB.close();
    other.close();
  });

  it('a malformed insight announcement is ignored and the node keeps serving', async () => {
    const token = (await broker.tokens.mint({ subject: 'admin', kind: 'admin', ttlSeconds: 60 })).token;
    const c = await LiveClient.open(nodes[1]!.port, token, { ready: true });
    c.send({ type: 'subscribe', athletes: ['ana'] });
    await c.next('snapshot');
    nodes[0]!.web.hub.announceInsight('ana', { id: 'x' } as never);
    const good = { id: 8, kind: 'k', severity: 'info', title: 't', body: 'b', metric: null, at: null, createdAt: new Date().toISOString() };
    nodes[0]!.web.hub.announceInsight('ana', good);
    const got = await c.next('insight');
    expect(got.insight.id).toBe(8);
    c.close();
  });
});
