import { liveTopic, type CanonicalEvent } from '@pulsehub/contracts';
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
import { SharedScaleRouter } from './shared-scales.js';
import { BatchWriter, type WriterHealth, type WriterStats } from './writer.js';

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
}

export interface IntakeStats extends WriterStats {
  accepted: number;
  rejected: number;
  deviceLookups: number;
  /** Shared-scale weigh-ins attributed to a bound user, and kept pending. */
  weighInsAttributed: number;
  weighInsPending: number;
}

export interface Intake {
  readonly stats: IntakeStats;
  readonly refresher: RollupRefresher;
  /** Whether the writer is committing (for /healthz): not ok after several failed commits in a row. */
  readonly health: WriterHealth;
  /** Takes one message; `committed` runs after its events or dead letter are stored. */
  accept(topic: string, payload: Buffer, committed: () => void): void;
  close(): Promise<void>;
}

/** How long a device's registration is cached: a re-registration takes effect within this. */
const DEVICE_CACHE_MS = 30_000;

export function createIntake(o: IntakeOptions): Intake {
  const log = o.logger ?? pino({ level: 'silent' });
  const registry = o.registry ?? createAdapterRegistry();
  const devicesRegistry = o.store.devices;
  const writer = new BatchWriter({ store: o.store, logger: log, maxBatch: o.maxBatch ?? 1000, ...(o.maxDelayMs ? { maxDelayMs: o.maxDelayMs } : {}), ...(o.maxInFlight ? { maxInFlight: o.maxInFlight } : {}), retryMs: 100, touchDevices: (seen) => devicesRegistry.touch(seen), ...(o.unhealthyAfter ? { unhealthyAfter: o.unhealthyAfter } : {}) });
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
  const deliverLive = o.deliverLive;
  const live = (event: CanonicalEvent) => {
    deliverLive?.(event);
    o.publishLive(liveTopic(event.userId), JSON.stringify(event));
  };
  let closing = false;

  const handle = (topic: string, payload: Buffer, committed: () => void, device: DeviceAdapters | undefined, receivedAt: string) => {
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

  const finish = (topic: string, payload: Buffer, committed: () => void, r: ProcessResult, receivedAt: string) => {
    // The live path never waits for the database.
    for (const event of r.events) live(event);
    counts.accepted += r.events.length;
    let deadLetter: DeadLetterInput | null = null;
    if (r.rejection) {
      counts.rejected++;
      log.warn({ topic, deviceId: r.deviceId, reason: r.rejection.reason }, 'payload kept as dead letter');
      deadLetter = { topic, deviceId: r.deviceId, userId: r.userId, reason: r.rejection.reason, detail: r.rejection.detail.slice(0, 4000), payload, receivedAt: new Date(receivedAt) };
    }
    const derived = r.events.length > 0 ? derive(r.events) : []; // values the hub derives (HRV): see derived-hook.ts
    for (const event of derived) live(event);
    writer.add(derived.length > 0 ? [...r.events, ...derived] : r.events, deadLetter, committed, { topic, payload, userId: r.userId, deviceId: r.deviceId, receivedAt });
  };

  return {
    get stats() {
      return { ...writer.stats, ...counts, deviceLookups: devices.lookups, weighInsAttributed: sharedScales.attributed, weighInsPending: sharedScales.pending };
    },
    refresher,
    get health() {
      return writer.health;
    },
    accept(topic, payload, committed) {
      const receivedAt = new Date().toISOString();
      // users/<u>/events/<device>: messages of one device keep their order through the lookup.
      const deviceId = topic.slice(topic.lastIndexOf('/') + 1);
      devices.dispatch(deviceId, (device) => handle(topic, payload, committed, device, receivedAt));
    },
    async close() {
      closing = true;
      await retention?.close();
      await refresher.close();
      await writer.close();
    },
  };
}
