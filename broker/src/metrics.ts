import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Aedes, Client } from 'aedes';

/**
 * Prometheus metrics of one broker. Each broker has its own registry (tests run several in
 * one process); per-message counters use pre-bound label children so the hot path is an
 * increment, not a label lookup.
 */
export interface BrokerMetrics {
  readonly registry: Registry;
  connectRefused(reason: string): void;
  messageIn(qos: number, bytes: number): void;
  messageOut(qos: number): void;
  dropped(reason: string): void;
  rateLimited(): void;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  /** Counters for $SYS. */
  snapshot(): { received: number; sent: number; dropped: number; rateLimited: number };
}

export function createBrokerMetrics(aedes: Aedes, clients: () => Record<string, Client>, options: { defaultMetrics?: boolean } = {}): BrokerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'pulsehub_' });

  new Gauge({
    name: 'pulsehub_mqtt_connections',
    help: 'Connected MQTT clients',
    registers: [registry],
    collect() {
      this.set(aedes.connectedClients);
    },
  });
  const refused = new Counter({ name: 'pulsehub_mqtt_connect_refused_total', help: 'CONNECTs refused, by reason code', labelNames: ['reason'], registers: [registry] });
  const inMsgs = new Counter({ name: 'pulsehub_mqtt_messages_in_total', help: 'PUBLISH packets accepted from clients, by QoS', labelNames: ['qos'], registers: [registry] });
  const outMsgs = new Counter({ name: 'pulsehub_mqtt_messages_out_total', help: 'PUBLISH packets forwarded to clients, by QoS', labelNames: ['qos'], registers: [registry] });
  const inBytes = new Counter({ name: 'pulsehub_mqtt_payload_bytes_in_total', help: 'Payload bytes of accepted PUBLISH packets', registers: [registry] });
  const droppedC = new Counter({ name: 'pulsehub_mqtt_messages_dropped_total', help: 'Messages not delivered: refused by ACL, queue full, slow subscriber dropped', labelNames: ['reason'], registers: [registry] });
  const limited = new Counter({ name: 'pulsehub_mqtt_rate_limited_total', help: 'PUBLISH packets delayed by the per-client rate limit', registers: [registry] });
  new Gauge({
    name: 'pulsehub_mqtt_outgoing_buffered_bytes',
    help: 'Bytes written to client sockets but not yet flushed (sum over clients)',
    registers: [registry],
    collect() {
      let n = 0;
      for (const c of Object.values(clients())) n += (c.conn as { writableLength?: number }).writableLength ?? 0;
      this.set(n);
    },
  });
  new Gauge({
    name: 'pulsehub_mqtt_max_client_buffered_bytes',
    help: 'The deepest outgoing socket buffer of any client',
    registers: [registry],
    collect() {
      let n = 0;
      for (const c of Object.values(clients())) n = Math.max(n, (c.conn as { writableLength?: number }).writableLength ?? 0);
      this.set(n);
    },
  });

  const inByQos = [inMsgs.labels('0'), inMsgs.labels('1'), inMsgs.labels('2')];
  const outByQos = [outMsgs.labels('0'), outMsgs.labels('1'), outMsgs.labels('2')];
  let received = 0;
  let sent = 0;
  let drops = 0;
  let limitedN = 0;

  return {
    registry,
    connectRefused: (reason) => refused.labels(reason).inc(),
    messageIn(qos, bytes) {
      received++;
      inByQos[qos]?.inc();
      inBytes.inc(bytes);
    },
    messageOut(qos) {
      sent++;
      outByQos[qos]?.inc();
    },
    dropped(reason) {
      drops++;
      droppedC.labels(reason).inc();
    },
    rateLimited() {
      limitedN++;
      limited.inc();
    },
    render: () => registry.metrics(),
    snapshot: () => ({ received, sent, dropped: drops, rateLimited: limitedN }),
  };
}
