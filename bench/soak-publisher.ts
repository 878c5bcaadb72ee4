/**
 * Publisher process for bench/soak.ts: many devices, each publishing one QoS 1 heart-rate
 * reading a second (raw MQTT 3.1.1 over mqtt-packet, as bench/ingest-publisher.ts), spread
 * evenly over the second, for `minutes`. Packets are built as they are sent (a 30-minute
 * run would not fit in memory built up front). Input: a JSON file named by argv[2] (2,000
 * tokens are too long for a command line):
 *   { host, port, devices: [{ deviceId, userId, token }], minutes, prefix, reportMs }
 * Prints `{ ready: true }` once every device is connected, waits for a line on stdin, then
 * `{ progress: { t, sent, acked } }` every reportMs and `{ sent, acked, disconnects }` at the end.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';

interface Input {
  host: string;
  port: number;
  devices: { deviceId: string; userId: string; token: string }[];
  minutes: number;
  prefix: string;
  reportMs: number;
}

const input = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Input;
let acked = 0;
let sent = 0;
let disconnects = 0;
let running = false;

function connectDevice(d: Input['devices'][number]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: input.host, port: input.port });
    s.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    s.on('connect', () => s.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: `soak-${d.deviceId}`, clean: true, keepalive: 60, username: d.deviceId, password: Buffer.from(d.token) })));
    s.on('data', (c) => parser.parse(c));
    s.on('error', (err) => (running ? undefined : reject(err)));
    s.on('close', () => {
      if (running) disconnects++;
    });
    parser.on('packet', (p) => {
      if (p.cmd === 'connack') return p.returnCode === 0 ? resolve(s) : reject(new Error(`connack ${p.returnCode} for ${d.deviceId}`));
      if (p.cmd === 'puback') acked++;
    });
  });
}

// Connect in groups so the hub is not hit by thousands of CONNECTs in one instant.
const sockets: Socket[] = [];
for (let i = 0; i < input.devices.length; i += 100) sockets.push(...(await Promise.all(input.devices.slice(i, i + 100).map(connectDevice))));
console.log(JSON.stringify({ ready: true }));
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.destroy();

running = true;
const N = input.devices.length;
const rounds = Math.round(input.minutes * 60);
// Device p publishes its r-th reading at t0 + r·1000 + p·(1000/N): every second, every
// device once, evenly spread.
const t0 = performance.now();
let p = 0;
let r = 0;
const publishDue = () => {
  const now = performance.now();
  while (r < rounds && t0 + r * 1000 + (p * 1000) / N <= now) {
    const d = input.devices[p]!;
    const payload = Buffer.from(JSON.stringify({ id: `${input.prefix}-${d.deviceId}-${r}`, metric: 'heart_rate', at: new Date().toISOString(), values: { bpm: 60 + ((r + p) % 100) } }));
    sockets[p]!.write(mqttPacket.generate({ cmd: 'publish', topic: `users/${d.userId}/events`, payload, qos: 1, messageId: (r % 65_000) + 1, retain: false, dup: false }));
    sent++;
    if (++p === N) {
      p = 0;
      r++;
    }
  }
};
const tick = setInterval(publishDue, 5);
const report = setInterval(() => console.log(JSON.stringify({ progress: { t: Math.round((performance.now() - t0) / 1000), sent, acked } })), input.reportMs);
while (r < rounds) await new Promise((res) => setTimeout(res, 100));
clearInterval(tick);
// Every PUBACK still owed has 30 s to arrive; what does not is lost.
const deadline = Date.now() + 30_000;
while (acked < sent && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
clearInterval(report);
running = false;
for (const s of sockets) s.end(mqttPacket.generate({ cmd: 'disconnect' }));
console.log(JSON.stringify({ sent, acked, disconnects }));
process.exit(0);
