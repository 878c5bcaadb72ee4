import { Counter, Gauge, Registry } from 'prom-client';
import type { Store, WebhookBacklog } from '@pulsehub/store';
import type { WebhookWorker } from './webhook-worker.js';

export interface WebhookMetrics {
  readonly registry: Registry;
  /** Prometheus text exposition. */
  render(): Promise<string>;
}

/**
 * The webhook backlog on `/metrics` (issue 14). The backlog gauges are read from the outbox
 * tables at scrape time (one query per scrape, shared by the gauges), so they are the same on
 * every node; the counters are this node's sender. Its own registry, like the broker's (tests
 * run several hubs in one process).
 */
export function createWebhookMetrics(o: { store: Store; worker: Pick<WebhookWorker, 'stats'> }): WebhookMetrics {
  const registry = new Registry();
  let current: Promise<WebhookBacklog | undefined> | undefined;
  // Gauges collect one after another within one scrape: the first asks, the rest reuse it. With
  // the database unreachable the backlog gauges keep their last values, pulsehub_webhook_backlog_ok
  // says 0, and the rest of /metrics still answers.
  const backlog = () => (current ??= o.store.webhooks.backlog().catch(() => undefined).finally(() => setImmediate(() => (current = undefined))));

  new Gauge({
    name: 'pulsehub_webhook_outbox_open', help: 'Webhook outbox entries not yet put into a delivery, by event type', labelNames: ['event'], registers: [registry],
    async collect() {
      const b = await backlog();
      if (!b) return;
      this.reset();
      for (const [event, n] of Object.entries(b.openByEvent)) this.set({ event }, n);
    },
  });
  new Gauge({
    name: 'pulsehub_webhook_deliveries', help: 'Webhook deliveries owed: pending (due or waiting for a retry) and failed for good (replayable)', labelNames: ['status'], registers: [registry],
    async collect() {
      const b = await backlog();
      if (!b) return;
      this.set({ status: 'pending' }, b.pending);
      this.set({ status: 'failed' }, b.failed);
    },
  });
  new Gauge({
    name: 'pulsehub_webhook_oldest_pending_seconds', help: 'Age of the oldest webhook entry or pending delivery not yet delivered (0: nothing owed)', registers: [registry],
    async collect() {
      const b = await backlog();
      if (b) this.set(b.oldestPendingSeconds);
    },
  });
  new Gauge({
    name: 'pulsehub_webhook_backlog_ok', help: '1 when the webhook backlog gauges were read from the database at this scrape, 0 when it could not be read', registers: [registry],
    async collect() {
      this.set((await backlog()) ? 1 : 0);
    },
  });
  new Counter({
    name: 'pulsehub_webhook_requests_total', help: 'Webhook requests sent by this node, by result (delivered, failed attempt, given up)', labelNames: ['result'], registers: [registry],
    collect() {
      const s = o.worker.stats;
      this.reset();
      this.inc({ result: 'delivered' }, s.delivered);
      this.inc({ result: 'failed_attempt' }, s.failedAttempts);
      this.inc({ result: 'given_up' }, s.givenUp);
    },
  });
  new Counter({
    name: 'pulsehub_webhook_events_delivered_total', help: 'Events in webhook deliveries this node delivered, by event type', labelNames: ['event'], registers: [registry],
    collect() {
      this.reset();
      for (const [event, n] of Object.entries(o.worker.stats.deliveredEvents)) this.inc({ event }, n);
    },
  });
  return { registry, render: () => registry.metrics() };
}
