import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import pino from 'pino';
import { createTokenService, generateSigningKey, type TokenService } from '@pulsehub/auth';
import type { ServerMessage } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { createWebApp, type WebApp } from '@pulsehub/web';

/** Issue 11, defect 6 (live side): the athletes one /live connection may follow are bounded. */
describe('/live subscription limit', () => {
  let db: TestDatabase;
  let store: Store;
  let tokens: TokenService;
  let web: WebApp;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    store = await openStore(db.target);
    tokens = createTokenService({ current: generateSigningKey(), previous: [] });
    // The default limit: 200 athletes per connection.
    web = await createWebApp({ store, tokens, logger: pino({ level: 'silent' }) });
    port = (await web.listen({ port: 0 })).port;
  });
  afterAll(async () => {
    await web?.close();
    await store?.close();
    await db?.drop();
  });

  async function open(): Promise<{ ws: WebSocket; next: (pred: (m: ServerMessage) => boolean) => Promise<ServerMessage> }> {
    const { token } = await tokens.mint({ subject: 'root', kind: 'admin', ttlSeconds: 60 });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/live?token=${token}`);
    const seen: ServerMessage[] = [];
    const waiters: [(m: ServerMessage) => boolean, (m: ServerMessage) => void][] = [];
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as ServerMessage;
      seen.push(m);
      for (const w of waiters.splice(0)) {
        if (w[0](m)) w[1](m);
        else waiters.push(w);
      }
    });
    const next = (pred: (m: ServerMessage) => boolean) =>
      new Promise<ServerMessage>((resolve, reject) => {
        const hit = seen.find(pred);
        if (hit) return resolve(hit);
        const t = setTimeout(() => reject(new Error(`no such frame in 5 s; last: ${JSON.stringify(seen.slice(-3)).slice(0, 600)}`)), 5000);
        waiters.push([pred, (m) => (clearTimeout(t), resolve(m))]);
      });
    await next((m) => m.type === 'ready');
    return { ws, next };
  }

  const names = (from: number, n: number) => Array.from({ length: n }, (_, i) => `ath${from + i}`);

  it('refuses one subscribe naming more athletes than the limit with an error frame naming it', async () => {
    const c = await open();
    c.ws.send(JSON.stringify({ type: 'subscribe', athletes: names(0, 201) }));
    const err = await c.next((m) => m.type === 'error');
    expect(err).toMatchObject({ code: 'PH_LIVE_SUBSCRIPTION_LIMIT' });
    expect((err as { message: string }).message).toContain('200');
    // The connection stays and a subscribe within the limit works.
    c.ws.send(JSON.stringify({ type: 'subscribe', athletes: names(0, 3) }));
    const sub = await c.next((m) => m.type === 'subscribed');
    expect((sub as { athletes: string[] }).athletes).toHaveLength(3);
    c.ws.close();
  });

  it('bounds the total per connection across subscribes', async () => {
    const c = await open();
    c.ws.send(JSON.stringify({ type: 'subscribe', athletes: names(0, 150) }));
    await c.next((m) => m.type === 'subscribed');
    c.ws.send(JSON.stringify({ type: 'subscribe', athletes: names(150, 100) }));
    const err = await c.next((m) => m.type === 'error');
    expect(err).toMatchObject({ code: 'PH_LIVE_SUBSCRIPTION_LIMIT' });
    // Athletes already followed do not count twice.
    c.ws.send(JSON.stringify({ type: 'subscribe', athletes: [...names(100, 50), ...names(150, 50)] }));
    const ok = await c.next((m) => m.type === 'subscribed' && (m as { athletes: string[] }).athletes.includes('ath199'));
    expect((ok as { athletes: string[] }).athletes).toHaveLength(100);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  });
});
