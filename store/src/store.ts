import type { Sql } from 'postgres';
import { openDb, type StoreTarget } from './open.js';
import type { Db } from './db.js';
import type { StorageLayout } from './timescale.js';
import { createAlertRepo, createAlertRuleRepo, type AlertRepo, type AlertRuleRepo } from './alerts.js';
import { createAuditRepo, type AuditRepo } from './audit.js';
import { createClassRepo, type ClassRepo } from './classes.js';
import { createConsentRepo, type ConsentRepo } from './consents.js';
import { createDeadLetterRepo, type DeadLetterRepo } from './dead-letters.js';
import { createDeviceRepo, type DeviceRepo } from './devices.js';
import { createHistoryRepo, type HistoryRepo } from './history.js';
import { createHrvRepo, type HrvRepo } from './hrv.js';
import { createObservationRepo, type ObservationRepo } from './observations.js';
import { createRollupRepo, type RollupRepo } from './rollups.js';
import { createSharedScaleRepo, type SharedScaleRepo } from './shared-scales.js';
import { createTokenRepo, type TokenRepo } from './tokens.js';
import { createUserRepo, type UserRepo } from './users.js';
import { createGoalsRepo, type GoalsRepo } from './goals.js';
import { createManualEntriesRepo, type ManualEntriesRepo } from './manual.js';
import { createLocalRollupRepo, type LocalRollupRepo } from './local-rollups.js';
import { createExportRepo, type ExportRepo } from './export.js';
import { createErasureRepo, type ErasureRepo } from './erasure.js';
import { createWebhookRepo, type WebhookRepo } from './webhooks.js';
import { createSyncLogRepo, type SyncLogRepo } from './sync-log.js';
import { createBridgeRepo, type BridgeRepo } from './bridge.js';

/**
 * Every repository of the store, by name. To add one: a file `<name>.ts` with its interface and
 * `create<Name>Repo(db)`, one property here and one line in `createRepositories` (see README).
 */
export interface Repositories {
  readonly users: UserRepo;
  readonly devices: DeviceRepo;
  readonly tokens: TokenRepo;
  readonly consents: ConsentRepo;
  readonly observations: ObservationRepo;
  readonly deadLetters: DeadLetterRepo;
  readonly history: HistoryRepo;
  readonly rollups: RollupRepo;
  readonly hrv: HrvRepo;
  readonly classes: ClassRepo;
  readonly sharedScales: SharedScaleRepo;
  readonly audit: AuditRepo;
  /** Goals (steps, workouts, sleep, …) with progress per local day or week and streaks. */
  readonly goals: GoalsRepo;
  /** Entries people logged by hand: list, edit, delete (device readings are refused). */
  readonly manualEntries: ManualEntriesRepo;
  /** Per user and local day totals goals measure; `recompute` after readings of those metrics were stored. */
  readonly localRollups: LocalRollupRepo;
  /** A person's readings, paged for a streamed export. */
  readonly export: ExportRepo;
  /** Erasure of a person (every table, one transaction). */
  readonly erasure: ErasureRepo;
  /** Alerts and insights (one lifecycle table). */
  readonly alerts: AlertRepo;
  /** Per-user thresholds over the built-in alert rules. */
  readonly alertRules: AlertRuleRepo;
  /** Webhook subscriptions, their outbox and deliveries (issue 14). */
  readonly webhooks: WebhookRepo;
  /** Sharing consents with a purpose, the analyzer sync log and its insights (issue 14). */
  readonly syncLog: SyncLogRepo;
  /** The Home Assistant bridge's cursors and its locked step (issue 14 §3). */
  readonly bridge: BridgeRepo;
}

/** The one place the repositories are assembled over a connection. */
function createRepositories(db: Db, client?: Sql): Repositories {
  return {
    users: createUserRepo(db),
    devices: createDeviceRepo(db),
    tokens: createTokenRepo(db),
    consents: createConsentRepo(db),
    observations: createObservationRepo(db, client),
    deadLetters: createDeadLetterRepo(db),
    history: createHistoryRepo(db),
    rollups: createRollupRepo(db),
    hrv: createHrvRepo(db),
    classes: createClassRepo(db),
    sharedScales: createSharedScaleRepo(db),
    audit: createAuditRepo(db),
    goals: createGoalsRepo(db),
    manualEntries: createManualEntriesRepo(db),
    localRollups: createLocalRollupRepo(db),
    export: createExportRepo(db),
    erasure: createErasureRepo(db),
    alerts: createAlertRepo(db),
    alertRules: createAlertRuleRepo(db),
    webhooks: createWebhookRepo(db),
    syncLog: createSyncLogRepo(db),
    bridge: createBridgeRepo(db),
  };
}

/** The database of a role: its repositories, and what it runs on. No raw connection: tests that need SQL use `@pulsehub/store/testing`. */
export interface Store extends Repositories {
  readonly kind: StoreTarget['kind'];
  /** TimescaleDB hypertable or plain table (detected when migrating). */
  readonly storage: StorageLayout;
  close(): Promise<void>;
}

/** The connection behind each open store, for `@pulsehub/store/testing` only (not exported from the package index). */
const connections = new WeakMap<Store, Db>();

export function connectionOf(store: Store): Db | undefined {
  return connections.get(store);
}

export async function openStore(target: StoreTarget): Promise<Store> {
  const opened = await openDb(target);
  const store: Store = { kind: opened.kind, storage: opened.storage, ...createRepositories(opened.db, opened.client), close: opened.close };
  connections.set(store, opened.db);
  return store;
}
