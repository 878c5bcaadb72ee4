import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestHub, waitFor, type TestHub } from '@pulsehub/testkit';

// Issue 14 §1: the webhook backlog on /metrics of a running hub — entries not yet in a
// delivery (by event type), pending and failed deliveries, the oldest owed age, and what this
// node's sender delivered — with a real receiver that accepts one path and fails another.

describe('webhook backlog on /metrics', () => {
  let t: TestHub;
  let server: Server;
  let base = '';

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(req.url === '/ok' ? 204 : 500).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    t = await startTestHub('postgres', { PULSEHUB_WEBHOOK_ALLOW_HOSTS: '127.0.0.1', PULSEHUB_WEBHOOK_MAX_ATTEMPTS: '1' });
    await t.hub.store.users.ensure(['ana', 'ben', 'cy']);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('shows open entries by type, pending and failed deliveries, the oldest age and the delivered counters', async () => {
    const store = t.hub.store;
    const hook = (userId: string, path: string, windowMs: number) =>
      store.webhooks.create({ userId, url: `${base}${path}`, events: ['alert.opened'], secret: 'metrics-secret-0123456789', windowMs, createdBy: 'admin' });
    await hook('ana', '/ok', 3_600_000); // waits for its window: stays an open entry
    const ok = await hook('ben', '/ok', 0);
    const failing = await hook('cy', '/fail', 0);
    for (const userId of ['ana', 'ben', 'cy']) {
      await store.alerts.raise({ userId, ruleId: 'spo2-low', severity: 'warning', title: 'SpO2 88 %', detail: { percent: 88 }, readingIds: [`${userId}-1`] });
    }
    await waitFor(async () => (await store.webhooks.deliveries({ subscriptionId: ok.id }))[0]?.status === 'delivered', { timeout: 15_000, what: 'the delivery to /ok' });
    await waitFor(async () => (await store.webhooks.deliveries({ subscriptionId: failing.id }))[0]?.status === 'failed', { timeout: 15_000, what: 'the delivery to /fail to fail' });

    const res = await fetch(`${t.hub.http.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^pulsehub_webhook_outbox_open\{event="alert\.opened"\} 1$/m);
    expect(text).toMatch(/^pulsehub_webhook_deliveries\{status="pending"\} 0$/m);
    expect(text).toMatch(/^pulsehub_webhook_deliveries\{status="failed"\} 1$/m);
    expect(text).toMatch(/^pulsehub_webhook_backlog_ok 1$/m);
    const oldest = /^pulsehub_webhook_oldest_pending_seconds (\S+)$/m.exec(text)?.[1];
    expect(Number(oldest)).toBeGreaterThan(0);
    expect(text).toMatch(/^pulsehub_webhook_requests_total\{result="delivered"\} 1$/m);
    expect(text).toMatch(/^pulsehub_webhook_requests_total\{result="given_up"\} 1$/m);
    expect(text).toMatch(/^pulsehub_webhook_events_delivered_total\{event="alert\.opened"\} 1$/m);
    // The broker's metrics are still there (the texts are joined, not replaced).
    expect(text).toMatch(/^pulsehub_mqtt_connections \d+$/m);

    // Replayed, the failed delivery is pending again; once nothing is owed the age is 0.
    await store.webhooks.replay({ subscriptionId: failing.id, limit: 10 });
    await store.webhooks.remove(failing.id);
    await store.webhooks.update((await store.webhooks.list({ userId: 'ana' }))[0]!.id, { windowMs: 0 });
    await waitFor(async () => (await store.webhooks.backlog()).openEntries === 0 && (await store.webhooks.backlog()).pending === 0, { timeout: 15_000, what: 'nothing owed' });
    const after = await (await fetch(`${t.hub.http.url}/metrics`)).text();
    expect(after).toMatch(/^pulsehub_webhook_oldest_pending_seconds 0$/m);
    expect(after).toMatch(/^pulsehub_webhook_deliveries\{status="failed"\} 0$/m);
    expect(after).toMatch(/^pulsehub_webhook_events_delivered_total\{event="alert\.opened"\} 2$/m);
  });
});
