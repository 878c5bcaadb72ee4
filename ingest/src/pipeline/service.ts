import { TOPICS, liveTopic } from '@pulsehub/contracts';
import type { DeadLetterInput, Store } from '@pulsehub/store';
import pino, { type Logger } from 'pino';
import { createAdapterRegistry, type AdapterRegistry } from '../adapters/registry.js';
import { createMqttConsumer, type MqttConsumer } from '../consumer/mqtt-consumer.js';
import type { MaxHrFormula } from '../derived/zones.js';
import { startRetention, type Retention } from '../rollups/retention.js';
import { startRollupRefresher, type RollupRefresher } from '../rollups/refresher.js';
import type { DeviceAdapters } from './adapter-policy.js';
import { DeviceDirectory } from './devices.js';
import { processMessage } from './process.js';
import { BatchWriter, type WriterStats } from './writer.js';

export interface IngestOptions {
  broker: { host: string; port: number };
  /** A `service` token; its subject is the MQTT username. */
  token: string;
  username: string;
  /** Stable per worker: the broker keeps this session (and its unacknowledged messages) across restarts. */
  clientId?: string;
  /**
   * Several ingest workers share the stream through `$share/<group>/users/+/events/+`; each
   * message goes to one of them. Without it, one worker consumes `users/+/events/+`.
   */
  shareGroup?: string;
  store: Store;
  registry?: AdapterRegistry;
  logger?: Logger;
  maxBatch?: number;
  maxDelayMs?: number;
  maxUnacked?: number;
  /** Raw high-rate readings older than this many days are deleted (daily rollups are kept). */
  retentionDays?: number;
  /** How often resting HR and time in zones of changed days are recomputed. */
  rollupRefreshMs?: number;
  maxHrFormula?: MaxHrFormula;
}

export interface IngestStats extends WriterStats {
  accepted: number;
  rejected: number;
  deviceLookups: number;
  unacked: number;
}

export interface IngestService {
  readonly stats: IngestStats;
  readonly refresher: RollupRefresher;
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** How long a device's registration is cached: a re-registration takes effect within this. */
const DEVICE_CACHE_MS = 30_000;

/** The topic filter ingest subscribes to. */
export function ingestSubscription(shareGroup?: string): string {
  return shareGroup ? `$share/${shareGroup}/${TOPICS.stampedEventsFilter}` : TOPICS.stampedEventsFilter;
}

export function startIngest(o: IngestOptions): IngestService {
  const log = o.logger ?? pino({ level: 'silent' });
  const registry = o.registry ?? createAdapterRegistry();
  const writer = new BatchWriter({ store: o.store, logger: log, maxBatch: o.maxBatch ?? 1000, maxDelayMs: o.maxDelayMs ?? 20, retryMs: 100 });
  const counts = { accepted: 0, rejected: 0 };
  const devices = new DeviceDirectory({ lookup: (id) => o.store.getDevice(id), ttlMs: DEVICE_CACHE_MS, retryMs: 200, logger: log });
  let retention: Retention | undefined;
  const refresher = startRollupRefresher({
    store: o.store, logger: log, intervalMs: o.rollupRefreshMs ?? 5000,
    ...(o.maxHrFormula ? { maxHrFormula: o.maxHrFormula } : {}),
    retainedFrom: () => retention?.keptFrom(),
  });
  if (o.retentionDays !== undefined) retention = startRetention({ store: o.store, refresher, logger: log, days: o.retentionDays });

  const handle = (topic: string, payload: Buffer, ack: () => void, device: DeviceAdapters | undefined, receivedAt: string) => {
    const r = processMessage(topic, payload, receivedAt, registry, device);
    // The live path never waits for the database.
    for (const event of r.events) consumer.publish(liveTopic(event.userId), JSON.stringify(event));
    counts.accepted += r.events.length;
    let deadLetter: DeadLetterInput | null = null;
    if (r.rejection) {
      counts.rejected++;
      log.warn({ topic, deviceId: r.deviceId, reason: r.rejection.reason }, 'payload kept as dead letter');
      deadLetter = { topic, deviceId: r.deviceId, userId: r.userId, reason: r.rejection.reason, detail: r.rejection.detail.slice(0, 4000), payload, receivedAt: new Date(receivedAt) };
    }
    writer.add(r.events, deadLetter, ack);
  };

  const consumer: MqttConsumer = createMqttConsumer({
    host: o.broker.host,
    port: o.broker.port,
    clientId: o.clientId ?? `pulsehub-ingest-${o.username}`,
    username: o.username,
    password: o.token,
    subscriptions: [{ topic: ingestSubscription(o.shareGroup), qos: 1 }],
    clean: false,
    maxUnacked: o.maxUnacked ?? 20_000,
    logger: log,
    onMessage(m) {
      const receivedAt = new Date().toISOString();
      // users/<u>/events/<device>: messages of one device keep their order through the lookup.
      const deviceId = m.topic.slice(m.topic.lastIndexOf('/') + 1);
      devices.dispatch(deviceId, (device) => handle(m.topic, m.payload, m.ack, device, receivedAt));
    },
  });

  return {
    get stats() {
      return { ...writer.stats, ...counts, deviceLookups: devices.lookups, unacked: consumer.unacked };
    },
    refresher,
    ready: () => consumer.ready(),
    async close() {
      await retention?.close();
      await refresher.close();
      await writer.close();
      await consumer.close();
    },
  };
}
