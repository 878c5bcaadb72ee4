/**
 * Device process for bench/diy-stack.ts and bench/ten-k.ts: many devices, each publishing one
 * QoS 1 heart-rate reading a second, spread evenly over the second (raw MQTT 3.1.1 over
 * mqtt-packet, as bench/soak-publisher.ts does). Unlike the soak publisher a device behaves as
 * a real one after its broker goes away: it reconnects (every 250 ms) and sends again, with
 * DUP set, every reading not yet acknowledged; readings due while it is offline wait in its
 * queue. So "lost" downstream can only mean the server side lost it.
 *
 * Each reading's id is `<prefix>-<device>-<round>-<µs since epoch at first send>`: a board in
 * another process reads the send time from the id (`epochMicros`), and rows are counted by
 * prefix.
 *
 * Input: a JSON file named by argv[2] (10,000 tokens do not fit on a command line):
 *   { host, port, devices: [{ deviceId, userId, token? }], seconds, prefix, reportMs,
 *     ackRounds: [from, to], drainMs }
 * Prints `{ ready }` once every device is connected, starts on the command `{ go: true }`, prints
 * `{ progress }` every reportMs and `{ final }` once every reading is acknowledged or drainMs
 * after the last one was due. PUBACK latency is recorded for first sends of rounds in ackRounds.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import mqttPacket, { type IPublishPacket } from 'mqtt-packet';
import { emit, onCommands } from './child.js';
import { epochMicros, percentiles } from './stats.js';

interface Input {
  host: string;
  port: number;
  devices: { deviceId: string; userId: string; token?: string }[];
  seconds: number;
  prefix: string;
  reportMs: number;
  ackRounds: [number, number];
  drainMs: number;
}

const input = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Input;
let sent = 0; // distinct readings
let acked = 0; // distinct readings acknowledged
let resent = 0;
let reconnects = 0;
const ackLatencyMs: number[] = [];

class Device {
  socket: Socket | null = null;
  online = false;
  /** The connection was lost; the next CONNACK is a reconnection. */
  lost = false;
  nextId = 1;
  /** messageId → the packet and, for a measured first send, its send time. */
  readonly inflight = new Map<number, { packet: IPublishPacket; t0: number }>();
  private waiting: (() => void)[] = [];

  constructor(readonly d: Input['devices'][number], private readonly index: number) {}

  private onPacket(p: mqttPacket.Packet): void {
    if (p.cmd === 'connack') {
      if (p.returnCode !== 0) return void this.socket?.destroy();
      this.online = true;
      if (this.lost) reconnects++;
      this.lost = false;
      for (const f of this.inflight.values()) {
        f.packet.dup = true;
        f.t0 = -1; // a resend's PUBACK time says nothing about the broker's latency
        this.socket!.write(mqttPacket.generate(f.packet));
        resent++;
      }
      for (const w of this.waiting.splice(0)) w();
    } else if (p.cmd === 'puback' && p.messageId !== undefined) {
      const f = this.inflight.get(p.messageId);
      if (!f) return;
      this.inflight.delete(p.messageId);
      acked++;
      if (f.t0 >= 0) ackLatencyMs.push(performance.now() - f.t0);
    }
  }

  /** Connects, and keeps reconnecting after every loss of the connection; resolves at the first CONNACK. */
  open(): Promise<void> {
    const ready = new Promise<void>((r) => this.waiting.push(r));
    this.dial();
    return ready;
  }

  private dial(): void {
    const s = connect({ host: input.host, port: input.port });
    this.socket = s;
    s.setNoDelay(true);
    s.on('connect', () => s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: `bench-${this.d.deviceId}`, clean: true, keepalive: 60, username: this.d.deviceId, ...(this.d.token ? { password: Buffer.from(this.d.token) } : {}) })));
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => this.onPacket(p));
    s.on('data', (c) => parser.parse(c));
    s.on('error', () => {});
    s.on('close', () => {
      this.online = false;
      if (this.socket !== s) return; // closed on purpose at the end
      this.socket = null;
      this.lost = true;
      setTimeout(() => this.dial(), 250 + (this.index % 50));
    });
  }

  publish(round: number, measured: boolean): void {
    const messageId = this.nextId;
    this.nextId = (this.nextId % 65_535) + 1;
    const id = `${input.prefix}-${this.index}-${round}-${epochMicros()}`;
    const payload = Buffer.from(JSON.stringify({ id, metric: 'heart_rate', at: new Date().toISOString(), values: { bpm: 60 + ((round + this.index) % 100) } }));
    const packet: IPublishPacket = { cmd: 'publish', topic: `users/${this.d.userId}/events`, payload, qos: 1, messageId, retain: false, dup: false };
    const t0 = measured ? performance.now() : -1;
    this.inflight.set(messageId, { packet, t0 });
    sent++;
    if (this.online) this.socket!.write(mqttPacket.generate(packet));
  }
}

const devices = input.devices.map((d, i) => new Device(d, i));
// Connect in groups so the broker is not hit by thousands of CONNECTs in one instant.
for (let i = 0; i < devices.length; i += 100) await Promise.all(devices.slice(i, i + 100).map((d) => d.open()));
emit({ ready: true, devices: devices.length });
await new Promise<void>((resolve) => onCommands((c) => c.go && resolve()));

const N = devices.length;
const rounds = Math.round(input.seconds);
const [ackFrom, ackTo] = input.ackRounds;
// Device p publishes its r-th reading at t0 + r·1000 + p·(1000/N).
const t0 = performance.now();
let p = 0;
let r = 0;
const publishDue = () => {
  const now = performance.now();
  while (r < rounds && t0 + r * 1000 + (p * 1000) / N <= now) {
    devices[p]!.publish(r, r >= ackFrom && r < ackTo);
    if (++p === N) {
      p = 0;
      r++;
    }
  }
};
const tick = setInterval(publishDue, 2);
const progress = () => emit({ progress: { t: Math.round((performance.now() - t0) / 1000), round: r, sent, acked, resent, reconnects } });
const report = setInterval(progress, input.reportMs);
while (r < rounds) await new Promise((res) => setTimeout(res, 50));
clearInterval(tick);
const deadline = Date.now() + input.drainMs;
while (acked < sent && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
clearInterval(report);
const unacked = devices.reduce((n, d) => n + d.inflight.size, 0);
for (const d of devices) {
  const s = d.socket;
  d.socket = null;
  s?.end(mqttPacket.generate({ cmd: 'disconnect' }));
}
emit({ final: { sent, acked, unacked, resent, reconnects, pubackMs: percentiles(ackLatencyMs) } });
setTimeout(() => process.exit(0), 200);
