import type { Logger } from 'pino';
import type { ClaimedDelivery, Store } from '@pulsehub/store';
import { postJson } from './http-send.js';
import { SIGNATURE_HEADER, sign } from './signature.js';

export interface Backoff {
  /** Delay after the first failed attempt. */
  baseMs: number;
  /** No delay longer than this. */
  capMs: number;
  /** After this many attempts a delivery is `failed` (replayable) instead of retried. */
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: Backoff = Object.freeze({ baseMs: 2_000, capMs: 30 * 60_000, maxAttempts: 12 });

/**
 * The wait before attempt `attempt + 1`: exponential (base · 2^(attempt−1)), capped, with
 * "equal jitter" (half fixed, half random) so receivers that came back are not hit by every
 * hub node at the same instant, while a retry never comes sooner than half its step.
 */
export function backoffDelay(attempt: number, b: Pick<Backoff, 'baseMs' | 'capMs'>, random: () => number = Math.random): number {
  const step = Math.min(b.capMs, b.baseMs * 2 ** Math.max(0, attempt - 1));
  return step / 2 + random() * (step / 2);
}

export interface WebhookWorkerOptions {
  store: Store;
  log: Logger;
  /** Hosts an admin allowed past the SSRF guard (PULSEHUB_WEBHOOK_ALLOW_HOSTS). */
  allowHosts?: readonly string[];
  /** Per request (connect, send, answer). */
  timeoutMs?: number;
  /** How often the worker looks for work while there is some. */
  pollMs?: number;
  /** While rounds find nothing, the wait doubles from `pollMs` up to this (default 4 × pollMs, at least pollMs). */
  idlePollMs?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  backoff?: Partial<Backoff>;
}

export interface WebhookWorker {
  /** One round: group open outbox entries into deliveries, send what is due. */
  tick(): Promise<{ formed: number; delivered: number; failedAttempts: number }>;
  start(): void;
  stop(): Promise<void>;
  readonly stats: WebhookWorkerStats;
}

export interface WebhookWorkerStats {
  delivered: number;
  failedAttempts: number;
  givenUp: number;
  /** Events in delivered requests, by type. */
  deliveredEvents: Record<string, number>;
}

/**
 * The in-process webhook sender over the outbox tables, the same on Postgres and PGlite. Several
 * hub nodes may run it: grouping locks a subscription and claiming locks deliveries with
 * FOR UPDATE SKIP LOCKED, and a claim is a lease (a node that dies mid-send leaves the delivery
 * due again once the lease runs out). At least once: a receiver dedupes by Idempotency-Key.
 */
export function createWebhookWorker(o: WebhookWorkerOptions): WebhookWorker {
  const allowHosts = new Set((o.allowHosts ?? []).map((h) => h.toLowerCase()));
  const timeoutMs = o.timeoutMs ?? 10_000;
  const pollMs = o.pollMs ?? 500;
  const idlePollMs = Math.max(pollMs, o.idlePollMs ?? pollMs * 4);
  const concurrency = o.concurrency ?? 8;
  const backoff: Backoff = { ...DEFAULT_BACKOFF, ...o.backoff };
  const leaseMs = timeoutMs * 2 + 5_000;
  const stats: WebhookWorkerStats = { delivered: 0, failedAttempts: 0, givenUp: 0, deliveredEvents: {} };
  const repo = o.store.webhooks;

  async function send(d: ClaimedDelivery): Promise<boolean> {
    const t = Math.floor(Date.now() / 1000);
    // Encoded once: the signature, the length and the socket all read the same bytes.
    const body = Buffer.from(d.body);
    const r = await postJson(d.url, body, { 'Idempotency-Key': d.id, [SIGNATURE_HEADER]: sign(d.secret, body, t) }, { allowHosts, timeoutMs });
    if (r.ok) {
      await repo.delivered(d.id, { status: r.status ?? 0, latencyMs: r.latencyMs });
      stats.delivered++;
      for (const [type, n] of Object.entries(d.eventTypes)) stats.deliveredEvents[type] = (stats.deliveredEvents[type] ?? 0) + n;
      return true;
    }
    const giveUp = d.attempts >= backoff.maxAttempts;
    const retryAt = giveUp ? null : new Date(Date.now() + backoffDelay(d.attempts, backoff));
    await repo.attemptFailed(d.id, { error: r.error ?? 'failed', status: r.status, latencyMs: r.status === null ? null : r.latencyMs, retryAt });
    stats.failedAttempts++;
    if (giveUp) stats.givenUp++;
    o.log.warn({ delivery: d.id, subscription: d.subscriptionId, attempt: d.attempts, error: r.error, retryAt }, giveUp ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry');
    return false;
  }

  async function tick() {
    const formed = await repo.formDeliveries();
    let delivered = 0;
    let failedAttempts = 0;
    for (;;) {
      const due = await repo.claimDue({ limit: concurrency, leaseMs });
      if (due.length === 0) break;
      const results = await Promise.all(due.map(send));
      for (const ok of results) {
        if (ok) delivered++;
        else failedAttempts++;
      }
      if (due.length < concurrency) break;
    }
    return { formed, delivered, failedAttempts };
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  // An idle hub polls less: each empty round is a transaction and a claim query on the database.
  let wait = pollMs;
  const loop = () => {
    if (stopped) return;
    running = tick().then((r) => {
      wait = r.formed + r.delivered + r.failedAttempts > 0 ? pollMs : Math.min(idlePollMs, wait * 2);
    }, (err: unknown) => o.log.error({ err }, 'webhook worker round failed')).finally(() => {
      running = undefined;
      if (!stopped) timer = setTimeout(loop, wait);
    });
  };
  return {
    tick,
    stats,
    start() {
      if (!stopped) return;
      stopped = false;
      timer = setTimeout(loop, 0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
