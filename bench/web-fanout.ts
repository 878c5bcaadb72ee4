/**
 * Live fan-out through the whole hub, next to a plain `ws` broadcast of the same messages.
 *
 *   A. one athlete streamed to 500 WebSocket viewers (overlay tokens), 20 readings/s
 *   B. 200 athletes at 1 Hz to 50 coach boards (each board sees all 200)
 *
 * Hub path: device MQTT publish → broker → ingest → live topic → LiveHub → /live WebSocket.
 * Reference: the same device publish → a plain MQTT subscriber on the same broker → a bare
 * `ws` server that broadcasts each message to the same number of clients. Both start the
 * clock at the device publish and stop it when a client's `message` event fires; each phase
 * runs alone (hub, then reference) in this one process (clients included), so both pay the
 * same client-side cost.
 *
 *   pnpm bench:web [--seconds 15] [--viewers 500] [--athletes 200] [--boards 50]
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg, cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket, { WebSocketServer } from 'ws';
import { generateSigningKey } from '@pulsehub/auth';
import { createTestDatabase } from '@pulsehub/store/testing';
import { loadConfig, startHub, type Hub } from '@pulsehub/cli';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '15' }, viewers: { type: 'string', default: '500' }, athletes: { type: 'string', default: '200' }, boards: { type: 'string', default: '50' } } });
const SECONDS = Number(values.seconds);
const VIEWERS = Number(values.viewers);
const ATHLETES = Number(values.athletes);
const BOARDS = Number(values.boards);

const sent = new Map<string, number>(); // event id → publish time (performance.now())
const idOf = (frame: string) => /"id":"(b-[^"]+)"/.exec(frame)?.[1];

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
  return { n: s.length, p50: q(0.5), p99: q(0.99), max: s[s.length - 1] ?? NaN };
}
const ms = (x: number) => `${x.toFixed(2)} ms`;

class Sink {
  latencies: number[] = [];
  received = 0;
  record(frame: string): void {
    const id = idOf(frame);
    if (!id) return;
    const t0 = sent.get(id);
    if (t0 === undefined) return;
    this.received++;
    this.latencies.push(performance.now() - t0);
  }
}

async function connectDevice(hub: Hub, id: string, user: string): Promise<MqttClient> {
  const c = mqtt.connect({ host: hub.mqtt.host, port: hub.mqtt.port, username: id, password: await hub.mint({ subject: id, kind: 'device', users: [user] }), clientId: id, reconnectPeriod: 0 });
  await new Promise((r, j) => { c.once('connect', r); c.once('error', j); });
  return c;
}

async function openViewers(n: number, url: (i: number) => string, onOpen: (ws: WebSocket, i: number) => Promise<void>, sink: Sink): Promise<WebSocket[]> {
  const out: WebSocket[] = [];
  for (let i = 0; i < n; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, async (_, k) => {
      const ws = new WebSocket(url(i + k));
      ws.on('message', (d) => sink.record(d.toString()));
      await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); ws.once('close', (code) => j(new Error(`closed ${code}`))); });
      await onOpen(ws, i + k);
      out.push(ws);
    }));
  }
  return out;
}

/** Waits until a message of type `type` arrives on each socket. */
const awaitType = (ws: WebSocket, type: string, pred: (m: { type: string; athlete?: string }) => boolean = () => true) => new Promise<void>((resolve) => {
  const on = (d: WebSocket.RawData) => {
    const m = JSON.parse(d.toString()) as { type: string; athlete?: string };
    if (m.type === type && pred(m)) { ws.off('message', on); resolve(); }
  };
  ws.on('message', on);
});

/** Publishes `perSecond` readings per device for SECONDS, spread evenly; returns how many. */
async function drive(devices: { client: MqttClient; user: string }[], perSecond: number, tag: string): Promise<number> {
  let n = 0;
  const ticks = SECONDS * perSecond;
  const interval = 1000 / perSecond;
  const start = performance.now();
  for (let t = 0; t < ticks; t++) {
    for (const [k, d] of devices.entries()) {
      const id = `b-${tag}-${t}-${k}`;
      sent.set(id, performance.now());
      d.client.publish(`users/${d.user}/events`, JSON.stringify({ id, metric: 'heart_rate', at: new Date().toISOString(), values: { bpm: 60 + ((t + k) % 120) } }), { qos: 0 });
      n++;
    }
    const next = start + (t + 1) * interval;
    await new Promise((r) => setTimeout(r, Math.max(0, next - performance.now())));
  }
  await new Promise((r) => setTimeout(r, 1500)); // let the tail arrive
  return n;
}

/** The reference: a bare MQTT subscriber that re-broadcasts each message with `ws`. */
async function referenceServer(hub: Hub, users: string[]) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as { port: number }).port;
  const sub = mqtt.connect({ host: hub.mqtt.host, port: hub.mqtt.port, username: 'ref', password: await hub.mint({ subject: 'ref', kind: 'admin' }), clientId: 'ref-bench', reconnectPeriod: 0 });
  await new Promise((r) => sub.once('connect', r));
  for (const u of users) await sub.subscribeAsync(`users/${u}/events/+`, { qos: 0 });
  sub.on('message', (_topic, payload) => {
    const frame = `{"type":"event","event":${payload.toString()}}`;
    for (const c of wss.clients) if (c.readyState === WebSocket.OPEN) c.send(frame);
  });
  return { port, close: async () => { await sub.endAsync(); for (const c of wss.clients) c.terminate(); await new Promise((r) => wss.close(r)); } };
}

function report(name: string, expected: number, hubSink: Sink, refSink: Sink, seconds: number) {
  const h = stats(hubSink.latencies);
  const r = stats(refSink.latencies);
  const line = (label: string, s: ReturnType<typeof stats>, got: number) =>
    `  ${label.padEnd(10)} delivered ${got}/${expected} (${((100 * got) / expected).toFixed(2)} %, ${Math.round(got / seconds).toLocaleString()} msg/s)  p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  max ${ms(s.max)}`;
  console.log(`${name}`);
  console.log(line('hub', h, hubSink.received));
  console.log(line('reference', r, refSink.received));
  console.log(`  ratio hub/reference: p50 ${(h.p50 / r.p50).toFixed(2)}×  p99 ${(h.p99 / r.p99).toFixed(2)}×`);
  return { expected, hub: { delivered: hubSink.received, ...h }, reference: { delivered: refSink.received, ...r } };
}

const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-bench-web-'));
const db = await createTestDatabase('postgres');
const hub = await startHub({
  config: loadConfig({ PULSEHUB_DATA_DIR: dataDir, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0' }),
  keyring: { current: generateSigningKey(), previous: [] },
  storeTarget: db.target,
  logger: pino({ level: 'warn' }),
});
console.log(`machine: ${cpus().length} cores, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at start`);
const results: Record<string, unknown> = {};

// A. one athlete → VIEWERS viewers
{
  await hub.store.users.upsert({ id: 'solo', name: 'Solo' });
  const device = await connectDevice(hub, 'w-solo', 'solo');
  const overlay = await hub.mint({ subject: 'overlay-solo', kind: 'overlay', users: ['solo'] });
  const hubSink = new Sink();
  const viewers = await openViewers(VIEWERS, () => `ws://127.0.0.1:${hub.http.port}/live?token=${overlay}`, async (ws) => {
    const snap = awaitType(ws, 'snapshot');
    ws.send(JSON.stringify({ type: 'subscribe', athletes: ['solo'] }));
    await snap;
  }, hubSink);
  const perSecond = 20;
  const expected = (await drive([{ client: device, user: 'solo' }], perSecond, 'a-hub')) * VIEWERS;
  for (const v of viewers) v.terminate();
  const ref = await referenceServer(hub, ['solo']);
  const refSink = new Sink();
  const refViewers = await openViewers(VIEWERS, () => `ws://127.0.0.1:${ref.port}`, async () => {}, refSink);
  await drive([{ client: device, user: 'solo' }], perSecond, 'a-ref');
  for (const v of refViewers) v.terminate();
  await ref.close();
  results.oneToMany = report(`A. 1 athlete × ${perSecond} readings/s → ${VIEWERS} viewers, ${SECONDS} s`, expected, hubSink, refSink, SECONDS);
  await device.endAsync();
}

// B. ATHLETES athletes at 1 Hz → BOARDS coach boards
{
  const users = Array.from({ length: ATHLETES }, (_, i) => `ath${i}`);
  const devices: { client: MqttClient; user: string }[] = [];
  for (const u of users) {
    await hub.store.users.upsert({ id: u, name: u });
    await hub.store.consents.grant(u, 'coach-bench');
    devices.push({ client: await connectDevice(hub, `w-${u}`, u), user: u });
  }
  const coach = await hub.mint({ subject: 'coach-bench', kind: 'coach' });
  const hubSink = new Sink();
  const boards = await openViewers(BOARDS, () => `ws://127.0.0.1:${hub.http.port}/live?token=${coach}`, async (ws) => {
    const last = awaitType(ws, 'snapshot', (m) => m.athlete === users[users.length - 1]);
    ws.send(JSON.stringify({ type: 'subscribe', athletes: users }));
    await last;
  }, hubSink);
  const expected = (await drive(devices, 1, 'b-hub')) * BOARDS;
  for (const b of boards) b.terminate();
  const ref = await referenceServer(hub, users);
  const refSink = new Sink();
  const refBoards = await openViewers(BOARDS, () => `ws://127.0.0.1:${ref.port}`, async () => {}, refSink);
  await drive(devices, 1, 'b-ref');
  for (const b of refBoards) b.terminate();
  await ref.close();
  results.manyToBoards = report(`B. ${ATHLETES} athletes × 1 reading/s → ${BOARDS} coach boards (each sees all), ${SECONDS} s`, expected, hubSink, refSink, SECONDS);
  await Promise.all(devices.map((d) => d.client.endAsync()));
}

console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log(JSON.stringify({ bench: 'web-fanout', seconds: SECONDS, ...results }));
await hub.close();
await db.drop();
rmSync(dataDir, { recursive: true, force: true });
