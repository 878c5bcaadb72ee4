import { TOPICS, liveTopic } from '@pulsehub/contracts';
import type { Store } from '@pulsehub/store';
import pino, { type Logger } from 'pino';
import { createAdapterRegistry, type AdapterRegistry } from '../adapters/registry.js';
import { createMqttConsumer, type MqttConsumer } from '../consumer/mqtt-consumer.js';
import { processMessage } from './process.js';
import { BatchWriter, type WriterStats } from './writer.js';

export interface IngestOptions {
  broker: { host: string; port: number };
  /** A `service` token; its subject is the MQTT username. */
  token: string;
  username: string;
  clientId?: string;
  store: Store;
  registry?: AdapterRegistry;
  logger?: Logger;
  maxBatch?: number;
  maxDelayMs?: number;
  maxUnacked?: number;
}

export interface IngestService {
  readonly stats: WriterStats & { accepted: number; rejected: number };
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** How long a device's registered adapter is cached: a re-registration takes effect within this. */
const DEVICE_CACHE_MS = 30_000;

export function startIngest(o: IngestOptions): IngestService {
  const log = o.logger ?? pino({ level: 'silent' });
  const registry = o.registry ?? createAdapterRegistry();
  const writer = new BatchWriter({ store: o.store, logger: log, maxBatch: o.maxBatch ?? 500, maxDelayMs: o.maxDelayMs ?? 20, retryMs: 100 });
  const counts = { accepted: 0, rejected: 0 };
  const deviceAdapters = new Map<string, { adapter: string | undefined; at: number }>();

  const registeredAdapter = (deviceId: string): string | undefined | Promise<string | undefined> => {
    const hit = deviceAdapters.get(deviceId);
    if (hit && Date.now() - hit.at < DEVICE_CACHE_MS) return hit.adapter;
    return o.store.getDevice(deviceId).then(
      (d) => {
        deviceAdapters.set(deviceId, { adapter: d?.adapter, at: Date.now() });
        return d?.adapter;
      },
      () => hit?.adapter, // database down: use what we knew, or the payload's / default adapter
    );
  };

  const handle = (topic: string, payload: Buffer, ack: () => void, adapter: string | undefined, receivedAt: string) => {
    const r = processMessage(topic, payload, receivedAt, registry, adapter);
    // The live path never waits for the database.
    for (const event of r.events) consumer.publish(liveTopic(event.userId), JSON.stringify(event));
    counts.accepted += r.events.length;
    let deadLetter = null;
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
    subscriptions: [{ topic: TOPICS.stampedEventsFilter, qos: 1 }],
    clean: false,
    maxUnacked: o.maxUnacked ?? 20_000,
    logger: log,
    onMessage(m) {
      const receivedAt = new Date().toISOString();
      const deviceId = m.topic.split('/')[3] ?? '';
      const adapter = registeredAdapter(deviceId);
      if (adapter instanceof Promise) void adapter.then((a) => handle(m.topic, m.payload, m.ack, a, receivedAt));
      else handle(m.topic, m.payload, m.ack, adapter, receivedAt);
    },
  });

  return {
    get stats() {
      return { ...writer.stats, ...counts };
    },
    ready: () => consumer.ready(),
    async close() {
      await writer.close();
      await consumer.close();
    },
  };
}
