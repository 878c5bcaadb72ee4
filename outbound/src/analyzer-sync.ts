import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AnalyzerAnswer, PulseHubError } from '@pulsehub/contracts';
import type { InsightRow, Store, SyncCursor } from '@pulsehub/store';

export interface AnalyzerSyncOptions {
  store: Store;
  log: Logger;
  /** PULSEHUB_ANALYZER_URL: readings are POSTed here. */
  url: string;
  /** PULSEHUB_ANALYZER_TOKEN: sent as `Authorization: Bearer …`. */
  token?: string | undefined;
  /** PULSEHUB_ANALYZER_INTERVAL_S: the schedule (0: on demand only). */
  intervalMs?: number;
  timeoutMs?: number;
  /** Readings per request; a run sends pages until it has caught up (or `maxPages`). */
  pageSize?: number;
  maxPages?: number;
  /** Called with the insights a run stored (the hub pushes them live). */
  onInsights?: (userId: string, insights: InsightRow[]) => void;
}

export interface SyncRunResult {
  id: number;
  userId: string;
  status: 'ok' | 'failed';
  count: number;
  insights: number;
  cursorBefore: SyncCursor | null;
  cursorAfter: SyncCursor | null;
  error?: string;
}

export interface AnalyzerSync {
  /** One run for one user now (manual: `POST /api/users/:id/sync-now`). */
  syncNow(userId: string, trigger?: 'manual' | 'schedule'): Promise<SyncRunResult>;
  /** One run for every user with a live analyzer consent. */
  runScheduled(): Promise<SyncRunResult[]>;
  start(): void;
  stop(): Promise<void>;
}

/** A run that has not finished after this long is taken to have died with its node. */
const STALE_RUN_MS = 60 * 60_000;

/**
 * The analyzer sync (the original design's "worker → AI analyzer"): per consenting user, the
 * readings stored since the last `ok` run, read with the delta-sync cursor (history.changes:
 * txid-bounded, so a later commit never lands behind the cursor), POSTed as JSON; the answer's
 * insights are validated (contracts AnalyzerAnswer) and stored. Every run is a sync-log row. A
 * failed run keeps no cursor: the next one starts where the last `ok` run ended (at least once;
 * the Idempotency-Key names the page's cursor range, so the analyzer can tell a resend).
 */
export function createAnalyzerSync(o: AnalyzerSyncOptions): AnalyzerSync {
  const pageSize = o.pageSize ?? 2000;
  const maxPages = o.maxPages ?? 50;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const repo = o.store.syncLog;

  async function post(userId: string, readings: unknown[], from: SyncCursor | null, to: SyncCursor | null): Promise<AnalyzerAnswer> {
    const body = JSON.stringify({ userId, cursor: { from, to }, readings });
    const key = createHash('sha256').update(`${userId}\u0000${JSON.stringify(from)}\u0000${JSON.stringify(to)}`).digest('hex').slice(0, 32);
    let res: Response;
    try {
      res = await fetch(o.url, {
        method: 'POST', body, redirect: 'error', signal: AbortSignal.timeout(timeoutMs),
        headers: { 'content-type': 'application/json', 'idempotency-key': key, ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      });
    } catch (err) {
      throw new PulseHubError('PH_ANALYZER_FAILED', `the analyzer could not be reached: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw new PulseHubError('PH_ANALYZER_FAILED', `the analyzer answered HTTP ${res.status}: ${text.slice(0, 300)}`);
    if (text.trim() === '') return { insights: [] };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PulseHubError('PH_ANALYZER_ANSWER_INVALID', 'the analyzer answered with text that is not JSON');
    }
    const parsed = AnalyzerAnswer.safeParse(json);
    if (!parsed.success) throw new PulseHubError('PH_ANALYZER_ANSWER_INVALID', `the analyzer's answer is invalid:\n${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }

  async function syncNow(userId: string, trigger: 'manual' | 'schedule' = 'manual'): Promise<SyncRunResult> {
    if (!(await repo.hasConsent(userId, 'analyzer'))) throw new PulseHubError('PH_ANALYZER_NO_CONSENT', `${userId} has not consented to sharing with the analyzer`);
    await repo.expireRunning(STALE_RUN_MS);
    const before = await repo.lastCursor(userId);
    const id = await repo.start(userId, trigger, before);
    if (id === undefined) throw new PulseHubError('PH_ANALYZER_SYNC_RUNNING', `a sync for ${userId} is already running`);
    let cursor = before;
    let count = 0;
    let insights = 0;
    try {
      for (let page = 0; page < maxPages; page++) {
        const { events, cursors } = await o.store.history.changes({ userId, cursor, limit: pageSize });
        if (events.length === 0) break;
        const next = cursors[cursors.length - 1]!;
        const answer = await post(userId, events, cursor, next);
        const stored = await repo.addInsights(userId, id, answer.insights);
        if (stored.length > 0) o.onInsights?.(userId, stored);
        insights += stored.length;
        count += events.length;
        cursor = next;
        if (events.length < pageSize) break;
      }
      await repo.finish(id, { status: 'ok', count, cursorAfter: cursor, insights });
      return { id, userId, status: 'ok', count, insights, cursorBefore: before, cursorAfter: cursor };
    } catch (err) {
      const error = err instanceof PulseHubError ? `${err.code}: ${err.message}` : (err as Error).message;
      // The pages the analyzer accepted are not lost, only resent: a failed run moves no cursor.
      await repo.finish(id, { status: 'failed', count, cursorAfter: cursor, insights, error });
      o.log.warn({ userId, syncId: id, error }, 'analyzer sync failed');
      return { id, userId, status: 'failed', count, insights, cursorBefore: before, cursorAfter: cursor, error };
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  async function runScheduled() {
    const out: SyncRunResult[] = [];
    for (const userId of await repo.consented('analyzer')) {
      try {
        out.push(await syncNow(userId, 'schedule'));
      } catch (err) {
        // A run already under way (another node, or sync-now) or a consent revoked meanwhile.
        o.log.info({ userId, code: (err as PulseHubError).code }, 'analyzer sync skipped');
      }
    }
    return out;
  }
  return {
    syncNow,
    runScheduled,
    start() {
      if (!o.intervalMs || timer) return;
      timer = setInterval(() => {
        if (running) return;
        running = runScheduled().catch((err: unknown) => o.log.error({ err }, 'scheduled analyzer sync failed')).finally(() => (running = undefined));
      }, o.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
