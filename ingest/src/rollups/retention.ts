import type { Store } from '@pulsehub/store';
import type { Logger } from 'pino';
import type { RollupRefresher } from './refresher.js';
import { errorFacts } from '../pipeline/commit-errors.js';

/** Raw high-rate samples that retention removes; everything else (weights, BP, steps…) is kept. */
export const HIGH_RATE_METRICS = ['heart_rate', 'cycling', 'running', 'rowing'] as const;

export interface RetentionOptions {
  store: Store;
  refresher: RollupRefresher;
  logger: Logger;
  /** Raw high-rate readings older than this many days are deleted; their daily rollups stay. */
  days: number;
  metrics?: readonly string[];
  intervalMs?: number;
  now?: () => number;
}

export interface Retention {
  /** First UTC day (YYYY-MM-DD) whose raw readings are kept. */
  keptFrom(): string;
  run(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Deletes raw high-rate readings of whole UTC days older than the retention, after bringing
 * those days' rollups up to date, so resting HR and time in zones survive their samples.
 */
export function startRetention(o: RetentionOptions): Retention {
  const now = o.now ?? Date.now;
  const keptFrom = () => new Date(now() - o.days * 86_400_000).toISOString().slice(0, 10);
  let running: Promise<number> | null = null;
  const runOnce = async () => {
    const cutoffDay = keptFrom();
    await o.refresher.refresh(cutoffDay);
    const deleted = await o.store.rollups.deleteRawBefore(o.metrics ?? HIGH_RATE_METRICS, new Date(`${cutoffDay}T00:00:00.000Z`));
    if (deleted > 0) o.logger.info({ deleted, before: cutoffDay }, 'retention removed raw high-rate readings (daily rollups kept)');
    return deleted;
  };
  const run = () => (running ??= runOnce().finally(() => (running = null)));
  const tick = () => run().catch((err: unknown) => o.logger.warn(errorFacts(err), 'retention run failed; will retry'));
  void tick();
  // tick logs its own failure; a run still going is joined, not doubled
  const timer = setInterval(() => void tick(), o.intervalMs ?? 3_600_000);
  timer.unref();
  return {
    keptFrom,
    run,
    async close() {
      clearInterval(timer);
      await running?.catch(() => 0);
    },
  };
}
