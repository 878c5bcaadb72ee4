import { alertTopic, liveTopic, type CanonicalEvent, type GoalMessage, type GoalReachedMessage } from '@pulsehub/contracts';
import { RuleEngine } from '../rules/engine.js';
import { startRuleScheduler, type RuleScheduler } from '../rules/scheduler.js';
import type { DeadLetterInput, Store } from '@pulsehub/store';
import pino, { type Logger } from 'pino';
import { createAdapterRegistry, type AdapterRegistry } from '../adapters/registry.js';
import type { MaxHrFormula } from '@pulsehub/physiology';
import { startRetention, type Retention } from '../rollups/retention.js';
import { startRollupRefresher, type RollupRefresher } from '../rollups/refresher.js';
import type { DeviceAdapters } from './adapter-policy.js';
import { DeviceDirectory } from './devices.js';
import { createDerivedHook } from './derived-hook.js';
import { processMessage, type ProcessResult } from './process.js';
import { ProcessPool } from './process-pool.js';
import { SharedScaleRouter } from './shared-scales.js';
import { BatchWriter, type WriterHealth, type WriterStats } from './writer.js';
import { GoalTracker, type InsightSink } from './goal-tracker.js';
import { recordInsight } from '../rules/insights.js';
import { MANUAL_ADAPTER_ID } from '../adapters/manual.js';

/** The publisher a manual entry's topic names: `users/<id>/events/manual`. */
export const MANUAL_DEVICE_ID = 'manual';

/**
 * The ingest pipeline without its transport: a message (stamped topic + raw payload) goes
 * through validation and its adapter, its events are published live at once, and `committed`
 * is called once they (or its dead letter) are in the database. The MQTT consumer
 * (`startIngest`) acknowledges from there; the embedded hub answers the device's PUBACK from
 * there, so a reading a device was told is delivered is already stored.
 */
export interface IntakeOptions {
  store: Store;
  /** Publishes one live message (topic `live/users/<id>`); must not wait for anything slow. */
  publishLive(topic: string, payload: string): void;
  /**
   * The same live events as objects, to an in-process consumer (the web role's LiveHub in
   * `pulsehub start`): no MQTT hop and no parse. Called before `publishLive`; must not wait.
   */
  deliverLive?(event: CanonicalEvent): void;
  /**
   * Goal frames (also published on `live/users/<id>`) to the same in-process consumer: with
   * both, that consumer needs no subscription to the live topics at all.
   */
  deliverGoal?(athlete: string, msg: GoalMessage | GoalReachedMessage): void;
  registry?: AdapterRegistry;
  logger?: Logger;
  /** Messages per batch at most (default 1000). */
  maxBatch?: number;
  /** 0 or absent: group commit (a batch goes as soon as a commit slot is free); > 0: a fixed batch window of this many ms (see BatchWriter). */
  maxDelayMs?: number;
  /** Batches committing at once (default 2). */
  maxInFlight?: number;
  /** Raw high-rate readings older than this many days are deleted (daily rollups are kept). */
  retentionDays?: number;
  /** How often resting HR and time in zones of changed days are recomputed. */
  rollupRefreshMs?: number;
  maxHrFormula?: MaxHrFormula;
  /** The writer reports itself unhealthy after this many commits in a row failed (default 3). */
  unhealthyAfter?: number;
  /** Where a reached goal is recorded as an insight (default: nowhere; see goal-tracker.ts). */
  insights?: InsightSink;
  /** Alert rules on committed readings (default on); off for the benchmark's reference run. */
  rules?: boolean;
  /** An open alert is rewritten at most this often while it holds unchanged (default 30 s). */
  alertUpdateEveryMs?: number;
  /** How often the time-based rules (device offline, low steps, trends) run (default 5 min). */
  ruleScheduleMs?: number;
  /**
   * Worker threads for validation and adapters (issue 17 §4; `PULSEHUB_INGEST_WORKERS`): 0 or
   * absent runs them on the caller's loop. With a custom `registry` it must be 0 (a registry
   * cannot cross threads). Live publish, the write and the acknowledgements stay on this loop.
   */
  workers?: number;
  /**
   * With workers: the first message of a turn whose thread owes nothing is processed on this
   * loop (default true), so an idle hub's live path has no thread round trip. Tests turn it off
   * to send every message through a thread.
   */
  workersInline?: boolean;
}

/** What became of a manual entry handed to `submit`: its events (stored) or why it was refused (kept as a dead letter). */
export type SubmitResult = ProcessResult;

export interface IntakeStats extends WriterStats {
  accepted: number;
  rejected: number;
  deviceLookups: number;
  /** Shared-scale weigh-ins attributed to a bound user, and kept pending. */
  weighInsAttributed: number;
  weighInsPending: number;
  /** Worker threads (0: validation and adapters on the broker's loop) and how often one was replaced after dying. */
  workers: number;
  workerRestarts: number;
  /** Messages processed on a worker thread. */
  workerMessages: number;
  /** Worker threads could not start: everything runs on the broker's loop (logged as an error). */
  workersBroken: boolean;
}

export interface Intake {
  readonly stats: IntakeStats;
  /** The alert rules (null when off). */
  readonly rules: RuleEngine | null;
  /** The time-based alert rules (null when rules are off). */
  readonly ruleScheduler: RuleScheduler | null;
  readonly refresher: RollupRefresher;
  /** Whether the writer is committing (for /healthz): not ok after several failed commits in a row. */
  readonly health: WriterHealth;
  /** Goal progress after each commit (live `goal` / `goal-reached` frames). */
  readonly goals: GoalTracker;
  /** Takes one message; `committed` runs after its events or dead letter are stored. */
  accept(topic: string, payload: Buffer, committed: () => void): void;
  /**
   * A manual entry (the REST path): the same validation, adapter, live publish, batched
   * idempotent write and dead letters as a device's message on `users/<userId>/events/manual`;
   * resolves once it is committed, with what was accepted or why not.
   */
  submit(userId: string, payload: Buffer): Promise<SubmitResult>;
  /** The same validation and adapter as `submit`, writing nothing (an edit of a stored entry). */
  check(userId: string, payload: Buffer): SubmitResult;
  close(): Promise<void>;
}

/** How long a device's registration is cached: a re-registration takes effect within this. */
const DEVICE_CACHE_MS = 30_000;

export function createIntake(o: IntakeOptions): Intake {
  const log = o.logger ?? pino({ level: 'silent' });
  if (o.workers && o.registry) throw new Error('createIntake: a custom adapter registry cannot run on worker threads (workers: 0)');
  const registry = o.registry ?? createAdapterRegistry();
  const pool = o.workers && o.workers > 0
    ? new ProcessPool({ size: o.workers, logger: log, ...(o.workersInline === false ? { inlineLone: false } : {}) })
    : null;
  const devicesRegistry = o.store.devices;
  const rules = o.rules === false ? null : new RuleEngine({
    store: o.store, logger: log,
    ...(o.alertUpdateEveryMs !== undefined ? { updateEveryMs: o.alertUpdateEveryMs } : {}),
    ...(o.maxHrFormula ? { maxHrFormula: o.maxHrFormula } : {}),
    publish: (userId, change, alert) => o.publishLive(alertTopic(userId), JSON.stringify({ change, alert })),
  });
  const ruleScheduler = rules ? startRuleScheduler({ engine: rules, store: o.store, logger: log, intervalMs: o.ruleScheduleMs ?? 300_000 }) : null;
  const writer = new BatchWriter({ ...(rules ? { afterCommit: (events) => rules.onCommitted(events) } : {}), store: o.store, logger: log, maxBatch: o.maxBatch ?? 1000, ...(o.maxDelayMs ? { maxDelayMs: o.maxDelayMs } : {}), ...(o.maxInFlight ? { maxInFlight: o.maxInFlight } : {}), retryMs: 100, touchDevices: (seen) => devicesRegistry.touch(seen), ...(o.unhealthyAfter ? { unhealthyAfter: o.unhealthyAfter } : {}) });
  const counts = { accepted: 0, rejected: 0 };
  const derive = createDerivedHook();
  const devices = new DeviceDirectory({ lookup: (id) => o.store.devices.get(id), ttlMs: DEVICE_CACHE_MS, retryMs: 200, logger: log });
  let retention: Retention | undefined;
  const refresher = startRollupRefresher({
    store: o.store, logger: log, intervalMs: o.rollupRefreshMs ?? 5000,
    ...(o.maxHrFormula ? { maxHrFormula: o.maxHrFormula } : {}),
    retainedFrom: () => retention?.keptFrom(),
  });
  if (o.retentionDays !== undefined) retention = startRetention({ store: o.store, refresher, logger: log, days: o.retentionDays });

  const sharedScales = new SharedScaleRouter({ store: o.store });
  // A reached goal is also an insight row (the alerts table, severity info), once per goal and period.
  const insights: InsightSink = o.insights ?? {
    goalReached: async ({ userId, goal, period, streak }) => {
      await recordInsight(o.store, o.publishLive, {
        userId, ruleId: 'goal-reached', key: `goal-reached:${goal.id}:${period.start}`,
        title: `Goal reached: ${goal.title ?? goal.kind.replace(/_/g, ' ')}`,
        detail: { goalId: goal.id, kind: goal.kind, period: { start: period.start, end: period.end }, value: period.value, target: period.target, streak },
      });
    },
  };
  const goals = new GoalTracker({ store: o.store, publishLive: o.publishLive, ...(o.deliverGoal ? { deliverGoal: o.deliverGoal } : {}), logger: log, insights });
  const deliverLive = o.deliverLive;
  /** `json`: the event as JSON when a worker thread already wrote it. */
  const live = (event: CanonicalEvent, json?: string) => {
    deliverLive?.(event);
    o.publishLive(liveTopic(event.userId), json ?? JSON.stringify(event));
  };
  let closing = false;

  const handle = (deviceId: string, topic: string, payload: Buffer, committed: () => void, device: DeviceAdapters | undefined, receivedAt: string) => {
    if (pool) {
      pool.process(deviceId, topic, payload, receivedAt, device, (r, json) => {
        if (SharedScaleRouter.mayNeed(r)) routeWeighIn(topic, payload, committed, r, receivedAt);
        else finish(topic, payload, committed, r, receivedAt, json);
      });
      return;
    }
    const r = processMessage(topic, payload, receivedAt, registry, device);
    if (SharedScaleRouter.mayNeed(r)) routeWeighIn(topic, payload, committed, r, receivedAt);
    else finish(topic, payload, committed, r, receivedAt);
  };

  /** A weigh-in may come from a shared scale: attribute it first (a database read, rare). */
  const routeWeighIn = (topic: string, payload: Buffer, committed: () => void, r: ProcessResult, receivedAt: string, retryMs = 200): void => {
    sharedScales.route(r).then(
      (routed) => finish(topic, payload, committed, routed.kind === 'as-is' ? r : { ...r, events: routed.events, rejection: routed.rejection }, receivedAt),
      (err: unknown) => {
        if (closing) return; // not acknowledged: the broker delivers it again after a restart
        // the database is down: the message stays unacknowledged and is tried again
        log.warn({ topic, err: (err as Error).message, retryInMs: retryMs }, 'shared-scale lookup failed; retrying');
        setTimeout(() => routeWeighIn(topic, payload, committed, r, receivedAt, Math.min(retryMs * 2, 5000)), retryMs).unref();
      },
    );
  };

  /** `json`: each event's live message, when a worker thread wrote them. */
  const finish = (topic: string, payload: Buffer, committed: () => void, r: ProcessResult, receivedAt: string, json?: string[] | null) => {
    // The live path never waits for the database.
    for (let i = 0; i < r.events.length; i++) live(r.events[i]!, json?.[i]);
    counts.accepted += r.events.length;
    let deadLetter: DeadLetterInput | null = null;
    if (r.rejection) {
      counts.rejected++;
      log.warn({ topic, deviceId: r.deviceId, reason: r.rejection.reason }, 'payload kept as dead letter');
      deadLetter = { topic, deviceId: r.deviceId, userId: r.userId, reason: r.rejection.reason, detail: r.rejection.detail.slice(0, 4000), payload, receivedAt: new Date(receivedAt) };
    }
    const derived = r.events.length > 0 ? derive(r.events) : []; // values the hub derives (HRV): see derived-hook.ts
    for (const event of derived) live(event);
    // Goals are evaluated after the commit, never before: nothing fires on a reading that was not stored.
    const done = r.events.length > 0 ? () => { committed(); goals.committed(r.events); } : committed;
    writer.add(derived.length > 0 ? [...r.events, ...derived] : r.events, deadLetter, done, { topic, payload, userId: r.userId, deviceId: r.deviceId, receivedAt });
  };

  const manualTopic = (userId: string) => `users/${userId}/events/${MANUAL_DEVICE_ID}`;
  const checkManual = (userId: string, payload: Buffer, receivedAt: string): ProcessResult => {
    const r = processMessage(manualTopic(userId), payload, receivedAt, registry, undefined);
    // Only the manual adapter on this path: a REST caller cannot pass a device payload off as theirs.
    const mismatch = r.events.find((e) => e.source.adapter !== MANUAL_ADAPTER_ID);
    return mismatch ? { ...r, events: [], rejection: { reason: 'PH_INGEST_SCHEMA_INVALID', detail: `a manual entry has format "${MANUAL_ADAPTER_ID}", not "${mismatch.source.adapter}"` } } : r;
  };

  return {
    get stats() {
      return { ...writer.stats, ...counts, deviceLookups: devices.lookups, weighInsAttributed: sharedScales.attributed, weighInsPending: sharedScales.pending, workers: pool?.stats.workers ?? 0, workerRestarts: pool?.stats.restarts ?? 0, workerMessages: pool?.stats.messages ?? 0, workersBroken: pool?.stats.broken ?? false };
    },
    refresher,
    goals,
    rules,
    ruleScheduler,
    get health() {
      return writer.health;
    },
    accept(topic, payload, committed) {
      const receivedAt = new Date().toISOString();
      // users/<u>/events/<device>: messages of one device keep their order through the lookup.
      const deviceId = topic.slice(topic.lastIndexOf('/') + 1);
      devices.dispatch(deviceId, (device) => handle(deviceId, topic, payload, committed, device, receivedAt));
    },
    submit(userId, payload) {
      const receivedAt = new Date().toISOString();
      const checked = checkManual(userId, payload, receivedAt);
      return new Promise((resolve) => finish(manualTopic(userId), payload, () => resolve(checked), checked, receivedAt));
    },
    check: (userId, payload) => checkManual(userId, payload, new Date().toISOString()),
    async close() {
      closing = true;
      // What a thread has not answered is not acknowledged: its sender sends it again.
      await pool?.close();
      await goals.settle();
      await retention?.close();
      await refresher.close();
      await ruleScheduler?.close();
      await writer.close();
      await rules?.idle();
    },
  };
}
