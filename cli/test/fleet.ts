import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { eventsTopic } from '@pulsehub/contracts';

/**
 * Simulated devices for the cluster tests and bench/cluster.ts: persistent sessions (clean
 * session 0), QoS 1, one heart-rate reading per device per period, automatic reconnects. It keeps
 * the id of every reading whose PUBACK arrived: what each device "saw acknowledged".
 */
export interface FleetDevice {
  readonly id: string;
  readonly userId: string;
  readonly token: string;
}

export interface FleetOptions {
  url: string;
  devices: readonly FleetDevice[];
  periodMs?: number;
  reconnectPeriodMs?: number;
  /** Connects this many devices at once (a storm of CONNECTs only measures the balancer). */
  connectBatch?: number;
  /**
   * Each device subscribes once to `users/<user>/commands/<device>` at QoS 1: a session with a
   * subscription is what a broker reports as present on reconnect [MQTT-3.2.2-2].
   */
  subscribe?: boolean;
  /** Called when a reading is acknowledged, with the time from publish to PUBACK. */
  onAck?: (id: string, ms: number) => void;
}

export interface DeviceState {
  readonly device: FleetDevice;
  readonly client: MqttClient;
  /** CONNACKs received: the first, then one per reconnect, with their session-present flag. */
  readonly connacks: boolean[];
  closes: number;
  seq: number;
}

export class Fleet {
  readonly acked = new Set<string>();
  readonly sent = new Set<string>();
  /** PUBLISH packets the devices sent again with DUP set (after a reconnect) [MQTT-3.3.1-1]. */
  dupsSent = 0;
  readonly states: DeviceState[] = [];
  private pending = 0;
  private timers: NodeJS.Timeout[] = [];
  private errors: string[] = [];

  private constructor(private readonly o: FleetOptions) {}

  static async connect(o: FleetOptions): Promise<Fleet> {
    const fleet = new Fleet(o);
    const batch = o.connectBatch ?? 50;
    for (let i = 0; i < o.devices.length; i += batch) {
      await Promise.all(o.devices.slice(i, i + batch).map((d) => fleet.add(d)));
    }
    return fleet;
  }

  private async add(device: FleetDevice): Promise<void> {
    const opts: IClientOptions = {
      clientId: device.id, username: device.id, password: device.token, clean: false,
      reconnectPeriod: this.o.reconnectPeriodMs ?? 500, connectTimeout: 5000, keepalive: 30, resubscribe: false,
    };
    const client = mqtt.connect(this.o.url, opts);
    const state: DeviceState = { device, client, connacks: [], closes: 0, seq: 0 };
    client.on('connect', (connack) => state.connacks.push(connack.sessionPresent));
    client.on('close', () => state.closes++);
    client.on('packetsend', (p) => {
      if (p.cmd === 'publish' && p.dup) this.dupsSent++;
    });
    client.on('error', () => {}); // refused while a node is down: mqtt.js reconnects
    this.states.push(state);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${device.id} did not connect`)), 20_000);
      client.once('connect', () => (clearTimeout(t), resolve()));
    });
    if (this.o.subscribe) await client.subscribeAsync(`users/${device.userId}/commands/${device.id}`, { qos: 1 });
  }

  /** Starts publishing: each device once per period, spread over the period. */
  start(): void {
    const period = this.o.periodMs ?? 1000;
    this.states.forEach((s, i) => {
      const first = setTimeout(() => {
        this.publish(s);
        this.timers.push(setInterval(() => this.publish(s), period));
      }, Math.floor((i / this.states.length) * period));
      this.timers.push(first);
    });
  }

  private publish(s: DeviceState): void {
    // A device offline keeps its next readings to itself (a watch buffers them); only what was
    // handed to the connection counts as sent.
    if (!s.client.connected) return;
    const id = `${s.device.id}-${String(++s.seq).padStart(6, '0')}`;
    const payload = JSON.stringify({ id, metric: 'heart_rate', at: new Date().toISOString(), values: { bpm: 60 + (s.seq % 100) } });
    const t0 = performance.now();
    this.pending++;
    this.sent.add(id);
    s.client.publish(eventsTopic(s.device.userId), payload, { qos: 1 }, (err) => {
      this.pending--;
      if (err) {
        this.errors.push(`${id}: ${err.message}`);
        return;
      }
      this.acked.add(id);
      this.o.onAck?.(id, performance.now() - t0);
    });
  }

  get inFlight(): number {
    return this.pending;
  }

  /** Stops publishing and waits until every reading handed to a connection is acknowledged. */
  async drain(timeoutMs = 30_000): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    const deadline = Date.now() + timeoutMs;
    while (this.pending > 0) {
      if (Date.now() > deadline) throw new Error(`${this.pending} readings still unacknowledged after ${timeoutMs} ms (errors: ${this.errors.slice(0, 5).join('; ')})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get publishErrors(): readonly string[] {
    return this.errors;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(this.states.map((s) => s.client.endAsync(true).catch(() => {})));
  }
}
