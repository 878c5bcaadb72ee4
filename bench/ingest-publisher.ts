/**
 * Publisher process for bench/ingest-throughput.ts and the ingest crash test: raw MQTT 3.1.1
 * over mqtt-packet, QoS 1, a window of unacknowledged publishes per connection, so the
 * publisher is not what limits the measurement. Input (JSON in argv[2]):
 *   { host, port, devices: [{ deviceId, userId, token }], perDevice, window, startMs, prefix }
 * Prints `{ ready: true }` once every packet is built and every device connected (then it
 * publishes), and `{ sent, ms, cpuMs }` when every PUBACK arrived.
 */
import { connect } from 'node:net';
import mqttPacket from 'mqtt-packet';

interface Input {
  host: string;
  port: number;
  devices: { deviceId: string; userId: string; token: string }[];
  perDevice: number;
  window: number;
  /** Reading times start here, one second apart per device. */
  startMs: number;
  prefix: string;
  /** Optional pause (ms) every 1,000 publishes per connection, to stretch a stream out. */
  pauseMs?: number;
  /** Offered load per connection (messages/s); 0 or absent = as fast as PUBACKs allow. */
  rate?: number;
  /** Every second reading without an id (ingest then derives a stable one). */
  withoutIds?: boolean;
  /** After `{ ready: true }`, wait for a line on stdin before publishing (the parent starts its clock then). */
  waitForGo?: boolean;
}

const input = JSON.parse(process.argv[2] ?? '{}') as Input;

/** Every packet is built before the first is sent, so the generator spends its CPU on sending. */
function packetsOf(d: Input['devices'][number]): Buffer[] {
  const out: Buffer[] = new Array(input.perDevice);
  for (let i = 0; i < input.perDevice; i++) {
    const payload = Buffer.from(JSON.stringify({
      ...(input.withoutIds && i % 2 === 1 ? {} : { id: `${input.prefix}-${d.deviceId}-${i}` }),
      metric: 'heart_rate',
      at: new Date(input.startMs + i * 1000).toISOString(),
      values: { bpm: 60 + (i % 100) },
    }));
    out[i] = mqttPacket.generate({ cmd: 'publish', topic: `users/${d.userId}/events`, payload, qos: 1, messageId: (i % 65000) + 1, retain: false, dup: false });
  }
  return out;
}

/** Connects and authenticates a device; resolves with a function that publishes its stream. */
function prepare(d: Input['devices'][number]): Promise<() => Promise<number>> {
  const packets = packetsOf(d);
  return new Promise((ready, reject) => {
    const s = connect({ host: input.host, port: input.port });
    s.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let next = 0;
    let acked = 0;
    let inflight = 0;
    let paused = false;
    let resolve: (n: number) => void = () => {};
    let fail: (err: Error) => void = reject;
    let t0 = 0;
    let timer: NodeJS.Timeout | null = null;
    const pump = () => {
      if (paused) return;
      // Devices publish at a rate; this keeps the offered load steady instead of bursting.
      const due = input.rate ? Math.min(input.perDevice, Math.floor(((performance.now() - t0) / 1000) * input.rate) + 1) : input.perDevice;
      if (input.rate && next >= due && next < input.perDevice) {
        timer ??= setTimeout(() => { timer = null; pump(); }, 2);
        return;
      }
      s.cork();
      while (inflight < input.window && next < due) {
        const i = next++;
        inflight++;
        s.write(packets[i]!);
        if (input.pauseMs && next % 1000 === 0) {
          paused = true;
          setTimeout(() => { paused = false; pump(); }, input.pauseMs);
          break;
        }
      }
      s.uncork();
      if (input.rate && next < input.perDevice) timer ??= setTimeout(() => { timer = null; pump(); }, 2);
    };
    s.on('connect', () => s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: `pub-${d.deviceId}`, clean: true, keepalive: 60, username: d.deviceId, password: Buffer.from(d.token) })));
    s.on('data', (c) => parser.parse(c));
    s.on('error', (err) => fail(err));
    parser.on('packet', (p) => {
      if (p.cmd === 'connack') {
        if (p.returnCode !== 0) return reject(new Error(`connack ${p.returnCode}`));
        ready(() => new Promise<number>((res, rej) => {
          resolve = res;
          fail = rej;
          t0 = performance.now();
          pump();
        }));
      } else if (p.cmd === 'puback') {
        inflight--;
        acked++;
        if (acked === input.perDevice) {
          s.end(mqttPacket.generate({ cmd: 'disconnect' }));
          resolve(acked);
        } else if (!input.rate) pump();
      }
    });
  });
}

const starts = await Promise.all(input.devices.map(prepare));
// Everything is built and every device connected: the parent starts its clock at this line.
console.log(JSON.stringify({ ready: true }));
if (input.waitForGo) {
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy(); // an open stdin would keep this process alive after the last PUBACK
}
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const counts = await Promise.all(starts.map((start) => start()));
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ sent: counts.reduce((a, b) => a + b, 0), ms, cpuMs: (cpu.user + cpu.system) / 1000 }));
