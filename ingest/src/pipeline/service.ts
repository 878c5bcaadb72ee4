import { TOPICS } from '@pulsehub/contracts';
import pino from 'pino';
import { createMqttConsumer, type MqttConsumer } from '../consumer/mqtt-consumer.js';
import type { RollupRefresher } from '../rollups/refresher.js';
import { createIntake, type IntakeOptions, type IntakeStats } from './intake.js';
import type { WriterHealth } from './writer.js';

export interface IngestOptions extends Omit<IntakeOptions, 'publishLive'> {
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
  maxUnacked?: number;
}

export interface IngestStats extends IntakeStats {
  unacked: number;
}

export interface IngestService {
  readonly stats: IngestStats;
  readonly refresher: RollupRefresher;
  /** The batch writer's health (for /healthz): `ok` is false while commits keep failing. */
  readonly health: WriterHealth;
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** The topic filter ingest subscribes to. */
export function ingestSubscription(shareGroup?: string): string {
  return shareGroup ? `$share/${shareGroup}/${TOPICS.stampedEventsFilter}` : TOPICS.stampedEventsFilter;
}

export function startIngest(o: IngestOptions): IngestService {
  const log = o.logger ?? pino({ level: 'silent' });
  // The consumer is created below; intake publishes live messages through it.
  const publishLive = (topic: string, payload: string) => void consumer.publish(topic, payload);
  const intake = createIntake({ ...o, logger: log, publishLive });
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
    // Acknowledged only after the batch holding it is committed.
    onMessage: (m) => intake.accept(m.topic, m.payload, m.ack),
  });

  return {
    get stats() {
      return { ...intake.stats, unacked: consumer.unacked };
    },
    refresher: intake.refresher,
    get health() {
      return intake.health;
    },
    ready: () => consumer.ready(),
    async close() {
      await intake.close();
      await consumer.close();
    },
  };
}
