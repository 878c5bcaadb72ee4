/**
 * Publisher process for bench/ingest-throughput.ts and the ingest crash test: raw MQTT 3.1.1
 * over mqtt-packet, QoS 1, a window of unacknowledged publishes per connection, so the
 * publisher is not what limits the measurement. Input (JSON in argv[2]):
 *   { host, port, devices: [{ deviceId, userId, token }], perDevice, window, startMs, prefix }
 * Prints one JSON line when every PUBACK arrived: { sent, ms }.
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
}

const input = JSON.parse(process.argv[2] ?? '{}') as Input;

function publishAll(d: Input['devices'][number]): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: input.host, port: input.port });
    s.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let next = 0;
    let acked = 0;
    let inflight = 0;
    let paused = false;
    const payload = (i: number) => Buffer.from(JSON.stringify({
      ...(input.withoutIds && i % 2 === 1 ? {} : { id: `${input.prefix}-${d.deviceId}-${i}` }),
      metric: 'heart_rate',
      at: new Date(input.startMs + i * 1000).toISOString(),
      values: { bpm: 60 + (i % 100) },
    }));
    const t0 = performance.now();
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
        s.write(mqttPacket.generate({ cmd: 'publish', topic: `users/${d.userId}/events`, payload: payload(i), qos: 1, messageId: (i % 65000) + 1, retain: false, dup: false }));
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
    s.on('error', reject);
    parser.on('packet', (p) => {
      if (p.cmd === 'connack') {
        if (p.returnCode !== 0) return reject(new Error(`connack ${p.returnCode}`));
        pump();
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

const t0 = performance.now();
const counts = await Promise.all(input.devices.map(publishAll));
console.log(JSON.stringify({ sent: counts.reduce((a, b) => a + b, 0), ms: performance.now() - t0 }));
