import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { DiskQueue, Forwarder, type Outgoing } from '@pulsehub/spool';
import type { BridgeCursorRow, BridgeStep, Store } from '@pulsehub/store';
import { ALERT_TOPIC, alertPayload, availabilityTopic, configTopicsOf, discoveryConfigs, nodeId, statePayload, stateTopic, type BridgeTopics } from './ha.js';

export interface BridgeOptions {
  store: Store;
  log: Logger;
  /** PULSEHUB_BRIDGE_URL: the external broker, mqtt:// or mqtts://. */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** PULSEHUB_BRIDGE_CA: PEM of the CA that signed the broker's certificate. */
  ca?: string | Buffer | undefined;
  /** PULSEHUB_BRIDGE_INSECURE: accept any certificate (a test broker). */
  insecure?: boolean;
  /** PULSEHUB_BRIDGE_PREFIX: states go to `<prefix>/<user>/<metric>`. */
  prefix: string;
  /** PULSEHUB_BRIDGE_DISCOVERY_PREFIX: Home Assistant's discovery prefix. */
  discoveryPrefix: string;
  /** The disk queue's directory (PULSEHUB_BRIDGE_QUEUE_DIR, default `<data dir>/bridge-queue`). */
  queueDir: string;
  /** PULSEHUB_BRIDGE_QUEUE_MAX: messages that wait at most; beyond it the oldest are dropped and counted. */
  queueMax: number;
  /** How often the store is polled for new readings when idle. */
  intervalMs?: number;
  /** Readings per person per step. */
  pageSize?: number;
  /** `fsync: 'never'` for benchmarks only. */
  fsync?: 'always' | 'never';
  /** `one`: one append (and fsync) per message, the way before batching (bench/ compares). Default `step`: one per step. */
  appendMode?: 'step' | 'one';
}

export interface BridgeStats {
  backlog: number;
  dropped: number;
  published: number;
  connected: boolean;
  /** Messages handed to the disk queue by this process. */
  enqueued: number;
  /** Steps this process completed (committed) holding the lock. */
  steps: number;
}

export interface Bridge {
  /** Opens the disk queue and starts polling; false when another process on this host holds the queue directory. */
  start(): Promise<boolean>;
  /** One step now (tests): handed to the queue, or undefined when another node holds the lock. */
  step(): Promise<number | undefined>;
  stats(): BridgeStats;
  /** Prometheus text of the bridge's metrics. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The Home Assistant bridge (issue 14 §3). One node at a time (the store's advisory lock) reads
 * what consenting people stored since their cursor, turns it into state messages and discovery
 * configs, appends them to the disk queue (fsynced) and only then, in the same transaction,
 * moves the cursor: a crash between the commit of a reading and the disk loses nothing, a crash
 * between the disk and the cursor write re-sends (at least once). A forwarder publishes the
 * queue at QoS 1 and removes a message only after its PUBACK; while the external broker is
 * away the queue grows (bounded: the oldest are dropped and counted) and drains in order on
 * reconnect.
 */
export function createBridge(o: BridgeOptions): Bridge {
  const topics: BridgeTopics = { prefix: o.prefix, discoveryPrefix: o.discoveryPrefix };
  const intervalMs = o.intervalMs ?? 1000;
  const pageSize = o.pageSize ?? 500;
  const log = o.log;
  let queue: DiskQueue | undefined;
  let client: MqttClient | undefined;
  let forwarder: Forwarder | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;
  let enqueued = 0;
  let steps = 0;
  let lastOnline = 0;

  const registry = new Registry();
  const stats = (): BridgeStats => ({
    backlog: queue?.stats().pending ?? 0, dropped: queue?.stats().dropped ?? 0, published: forwarder?.delivered ?? 0,
    connected: client?.connected === true, enqueued, steps,
  });
  const gauge = (name: string, help: string, value: () => number) => new Gauge({ name, help, registers: [registry], collect() { this.set(value()); } });
  const counter = (name: string, help: string, value: () => number) => new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(value()); } });
  gauge('pulsehub_bridge_backlog', 'Messages in the bridge disk queue waiting for the external broker', () => stats().backlog);
  counter('pulsehub_bridge_dropped_total', 'Messages dropped from the full bridge queue (oldest first)', () => stats().dropped);
  counter('pulsehub_bridge_published_total', 'Messages the external broker acknowledged (PUBACK)', () => stats().published);
  gauge('pulsehub_bridge_connected', '1 while the bridge is connected to the external broker', () => (stats().connected ? 1 : 0));

  const encode = (m: Outgoing) => Buffer.from(JSON.stringify(m), 'utf8');
  const decode = (buf: Buffer) => JSON.parse(buf.toString('utf8')) as Outgoing;

  function connect(): MqttClient {
    const opts: IClientOptions = {
      clientId: `pulsehub-bridge-${Math.random().toString(16).slice(2, 10)}`,
      clean: true, reconnectPeriod: 1000, connectTimeout: 10_000,
      will: { topic: availabilityTopic(topics), payload: Buffer.from('offline'), qos: 1, retain: true },
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      ...(o.ca === undefined ? {} : { ca: o.ca }),
      ...(o.insecure ? { rejectUnauthorized: false } : {}),
    };
    const c = mqtt.connect(o.url, opts);
    c.on('connect', () => {
      log.info({ url: redact(o.url) }, 'bridge connected to the external broker');
      announceOnline(c);
    });
    c.on('error', (err) => log.warn({ err: err.message }, 'bridge: external broker error'));
    c.on('offline', () => log.info('bridge: external broker unreachable; messages wait in the disk queue'));
    return c;
  }

  function ensureConnected(): void {
    if (client || stopped || !queue) return;
    client = connect();
    forwarder = new Forwarder(queue, client, { decode, logger: log });
  }

  function announceOnline(c: MqttClient): void {
    lastOnline = Date.now();
    c.publish(availabilityTopic(topics), 'online', { qos: 1, retain: true }, () => undefined);
  }

  /** The messages of one reading: the metric's discovery configs the first time, then its state. */
  function readingMessages(row: BridgeCursorRow, e: CanonicalEvent, out: Outgoing[]): void {
    if (!row.metrics.includes(e.metric)) {
      row.metrics = [...row.metrics, e.metric];
      for (const c of discoveryConfigs(topics, row.userId, row.node, e.metric)) out.push({ topic: c.topic, body: c.body, retain: true });
    }
    out.push({ topic: stateTopic(topics, row.userId, e.metric), body: statePayload(e) });
  }

  async function personStep(s: BridgeStep, userId: string, existing: BridgeCursorRow | undefined): Promise<{ out: Outgoing[]; row: BridgeCursorRow; full: boolean }> {
    const out: Outgoing[] = [];
    let row = existing;
    if (!row) {
      // A new consent starts at the person's present: their newest reading per metric, then what follows.
      const head = await s.head(userId);
      row = { userId, node: nodeId(o.prefix, userId), txid: head.cursor.txid, eventId: head.cursor.id, metrics: [], alertTxid: head.alert.txid, alertId: Number(head.alert.id), updatedAt: new Date() };
      for (const e of head.latest) readingMessages(row, e, out);
    }
    const { events, cursors } = await s.changes(userId, { txid: row.txid, id: row.eventId }, pageSize);
    for (const e of events) readingMessages(row, e, out);
    const last = cursors.at(-1);
    if (last) {
      row.txid = last.txid;
      row.eventId = last.id;
    }
    const alerts = await s.alertChanges(userId, { txid: row.alertTxid, id: String(row.alertId) }, pageSize);
    for (const a of alerts) {
      if (!row.metrics.includes(ALERT_TOPIC)) {
        row.metrics = [...row.metrics, ALERT_TOPIC];
        for (const c of discoveryConfigs(topics, userId, row.node, ALERT_TOPIC)) out.push({ topic: c.topic, body: c.body, retain: true });
      }
      out.push({ topic: stateTopic(topics, userId, ALERT_TOPIC), body: alertPayload(a) });
      row.alertTxid = a.txid;
      row.alertId = a.id;
    }
    return { out, row, full: events.length === pageSize || alerts.length === pageSize };
  }

  async function append(out: readonly Outgoing[]): Promise<void> {
    const q = queue as DiskQueue;
    if (o.appendMode === 'one') for (const m of out) await q.append(encode(m));
    else await q.appendMany(out.map(encode));
    enqueued += out.length;
  }

  /** One locked step over every person; returns the number of messages queued, and whether a page was full. */
  async function runStep(): Promise<{ count: number; more: boolean } | undefined> {
    const r = await o.store.bridge.exclusive(async (s) => {
      const consented = new Set(await s.consented());
      const rows = new Map((await s.cursors()).map((r) => [r.userId, r]));
      const out: Outgoing[] = [];
      const gone: string[] = [];
      const moved: BridgeCursorRow[] = [];
      let more = false;
      // Revoked (or erased): the person's configs are removed (empty retained payload) and nothing more is sent.
      for (const [userId, row] of rows) {
        if (consented.has(userId)) continue;
        out.push(...row.metrics.flatMap((m) => configTopicsOf(topics, row.node, m)).map((topic) => ({ topic, body: '', retain: true })));
        gone.push(userId);
      }
      for (const userId of consented) {
        const p = await personStep(s, userId, rows.get(userId));
        out.push(...p.out);
        if (p.out.length > 0 || !rows.has(userId)) moved.push(p.row);
        more ||= p.full;
      }
      // Durable on disk first (one write and fsync for the step); the cursors are written after, in this transaction.
      await append(out);
      for (const userId of gone) await s.remove(userId);
      for (const row of moved) await s.save(row);
      return { count: out.length, more };
    });
    if (r) steps++;
    return r?.value;
  }

  function schedule(ms: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runStep()
        .then((r) => {
          if (r) ensureConnected();
          if (r && client?.connected && Date.now() - lastOnline > 60_000) announceOnline(client);
          // Another node holds the lock: try again less often, so the active node stays the active one.
          schedule(r === undefined ? intervalMs * 5 : r.more ? 0 : intervalMs);
        })
        .catch((err: unknown) => {
          log.error({ err }, 'bridge step failed');
          schedule(intervalMs * 5);
        });
    }, ms);
    timer.unref();
  }

  return {
    async start() {
      try {
        queue = await DiskQueue.open({ dir: o.queueDir, maxRecords: o.queueMax, ...(o.fsync ? { fsync: o.fsync } : {}), logger: log });
      } catch (err) {
        if ((err as { code?: string }).code !== 'PH_GW_QUEUE_LOCKED') throw err;
        log.warn({ dir: o.queueDir }, 'bridge: its queue directory is used by another process on this host; this node does not run the bridge');
        return false;
      }
      // A backlog from an earlier run drains now; otherwise the node connects once it wins the lock
      // (a standby node's will would otherwise mark the bridge offline when that node stops).
      if (queue.pending > 0) ensureConnected();
      schedule(0);
      return true;
    },
    async step() {
      if (!queue) throw new Error('bridge: start() first');
      const r = await runStep();
      if (r) ensureConnected();
      return r?.count;
    },
    stats,
    metrics: () => registry.metrics(),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
      forwarder?.stop();
      if (client) {
        const c = client;
        // A clean stop says so itself (the will is for a crash).
        if (c.connected) await new Promise<void>((resolve) => c.publish(availabilityTopic(topics), 'offline', { qos: 1, retain: true }, () => resolve()));
        await c.endAsync();
      }
      await queue?.close();
    },
  };
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return '(invalid url)';
  }
}
