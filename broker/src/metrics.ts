import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Aedes } from 'aedes';
import { clientsOf, writableLengthOf } from './aedes-internals.js';

/**
 * Prometheus metrics of one broker. Each broker has its own registry (tests run several in
 * one process). Per-message counts are plain numbers handed to prom-client at scrape time
 * (`collect`): a prom-client label child's inc() hashes its labels and allocates a result on
 * every call, which the hot path (every PUBLISH in and out) should not pay.
 */
export interface BrokerMetrics {
  readonly registry: Registry;
  connectRefused(reason: string): void;
  /** A SUBSCRIBE filter refused by a limit or the topic rules (SUBACK 0x80). */
  subscribeRefused(reason: string): void;
  /** A connection closed by the broker because its token expired. */
  tokenExpired(): void;
  messageIn(qos: number, bytes: number): void;
  messageOut(qos: number): void;
  dropped(reason: string): void;
  rateLimited(): void;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  /** Counters for $SYS. */
  snapshot(): { received: number; sent: number; dropped: number; rateLimited: number };
}

export function createBrokerMetrics(options: { defaultMetrics?: boolean } = {}): BrokerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'pulsehub_' });

  const subRefused = new Counter({ name: 'pulsehub_mqtt_subscribe_refused_total', help: 'SUBSCRIBE filters refused (SUBACK 0x80), by reason', labelNames: ['reason'], registers: [registry] });
  const expired = new Counter({ name: 'pulsehub_mqtt_token_expired_total', help: 'Connections closed because their token expired', registers: [registry] });
  const refused = new Counter({ name: 'pulsehub_mqtt_connect_refused_total', help: 'CONNECTs refused, by reason code', labelNames: ['reason'], registers: [registry] });
  const inByQos = [0, 0, 0];
  const outByQos = [0, 0, 0];
  let inBytesN = 0;
  const byQos = (counts: number[]) =>
    function collect(this: Counter<'qos'>) {
      this.reset();
      counts.forEach((n, qos) => this.inc({ qos: String(qos) }, n));
    };
  new Counter({ name: 'pulsehub_mqtt_messages_in_total', help: 'PUBLISH packets accepted from clients, by QoS', labelNames: ['qos'], registers: [registry], collect: byQos(inByQos) });
  new Counter({ name: 'pulsehub_mqtt_messages_out_total', help: 'PUBLISH packets forwarded to clients, by QoS', labelNames: ['qos'], registers: [registry], collect: byQos(outByQos) });
  new Counter({
    name: 'pulsehub_mqtt_payload_bytes_in_total',
    help: 'Payload bytes of accepted PUBLISH packets',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(inBytesN);
    },
  });
  const droppedC = new Counter({ name: 'pulsehub_mqtt_messages_dropped_total', help: 'Messages not delivered: refused by ACL, queue full, slow subscriber dropped', labelNames: ['reason'], registers: [registry] });
  const limited = new Counter({ name: 'pulsehub_mqtt_rate_limited_total', help: 'PUBLISH packets delayed by the per-client rate limit', registers: [registry] });
  let received = 0;
  let sent = 0;
  let drops = 0;
  let limitedN = 0;

  return {
    registry,
    connectRefused: (reason) => refused.labels(reason).inc(),
    subscribeRefused: (reason) => subRefused.labels(reason).inc(),
    tokenExpired: () => expired.inc(),
    messageIn(qos, bytes) {
      received++;
      inByQos[qos] = (inByQos[qos] ?? 0) + 1;
      inBytesN += bytes;
    },
    messageOut(qos) {
      sent++;
      outByQos[qos] = (outByQos[qos] ?? 0) + 1;
    },
    dropped(reason) {
      drops++;
      droppedC.inc({ reason });
    },
    rateLimited() {
      limitedN++;
      limited.inc();
    },
    render: () => registry.metrics(),
    snapshot: () => ({ received, sent, dropped: drops, rateLimited: limitedN }),
  };
}

/** The gauges read from aedes at scrape time (connections, socket buffers): registered once aedes exists. */
export function watchClients(metrics: BrokerMetrics, aedes: Aedes): void {
  const registry = metrics.registry;
  const clients = () => clientsOf(aedes);
  new Gauge({
    name: 'pulsehub_mqtt_connections',
    help: 'Connected MQTT clients',
    registers: [registry],
    collect() {
      this.set(aedes.connectedClients);
    },
  });
  new Gauge({
    name: 'pulsehub_mqtt_outgoing_buffered_bytes',
    help: 'Bytes written to client sockets but not yet flushed (sum over clients)',
    registers: [registry],
    collect() {
      let n = 0;
      for (const c of Object.values(clients())) n += writableLengthOf(c);
      this.set(n);
    },
  });
  new Gauge({
    name: 'pulsehub_mqtt_max_client_buffered_bytes',
    help: 'The deepest outgoing socket buffer of any client',
    registers: [registry],
    collect() {
      let n = 0;
      for (const c of Object.values(clients())) n = Math.max(n, writableLengthOf(c));
      this.set(n);
    },
  });
}
