import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import WebSocket from 'ws';
import type { ServerMessage } from '@pulsehub/contracts';
import postgres from 'postgres';
import { startCluster, type Cluster } from '@pulsehub/cli';
import { waitFor } from '@pulsehub/testkit';
import { Fleet, type FleetDevice } from './fleet.js';

/**
 * Issue 15, section 3: losing a node of the cluster (cli/src/cluster.ts: HAProxy, 2 broker
 * nodes that store readings before their PUBACK, 2 web nodes; real processes on the local
 * Redis and Postgres). The issue asks for 2,000 devices; this machine runs ~7 engineers on 2
 * cores, so the fleet is 300 devices at 1 Hz (PULSEHUB_FAILOVER_DEVICES to change it): the same
 * shape — persistent sessions, QoS 1, through HAProxy — at a load the file finishes in time.
 */
const DEVICES = Number(process.env.PULSEHUB_FAILOVER_DEVICES ?? 300);
const USERS = 50;
/** The issue's 50 boards watching 200 athletes, scaled like the device fleet. */
const BOARDS = 20;
const ATHLETES = 40;

/**
 * A coach's board on `/live` through HAProxy, as the pages behave: when the socket drops it
 * reconnects and subscribes again with its resume cursor (the newest `receivedAt` per athlete).
 */
class Board {
  readonly seen = new Map<string, number>(); // event id → times received as a live `event`
  /** What the board had when its socket dropped: a resumed snapshot must hold none of it. */
  private hadAtClose = new Set<string>();
  readonly athletesSeen = new Set<string>();
  readonly cursor: Record<string, string> = {};
  readonly replayed: string[] = [];
  reconnects = 0;
  private ws: WebSocket | undefined;
  private closing = false;
  connected = false;

  constructor(private readonly url: string, private readonly token: string, private readonly athletes: string[]) {}

  async open(): Promise<void> {
    for (;;) {
      try {
        await this.connectOnce();
        return;
      } catch {
        if (this.closing) return;
        await new Promise((r) => setTimeout(r, 300)); // the node is gone and HAProxy has not noticed yet
      }
    }
  }

  private connectOnce(): Promise<void> {
    const ws = new WebSocket(`${this.url}/live?token=${encodeURIComponent(this.token)}`);
    this.ws = ws;
    return new Promise((resolve, reject) => {
      ws.once('error', reject);
      ws.once('unexpected-response', () => reject(new Error('refused')));
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as ServerMessage;
        if (m.type === 'ready') {
          const resume = Object.keys(this.cursor).length > 0 ? { resume: { ...this.cursor } } : {};
          ws.send(JSON.stringify({ type: 'subscribe', athletes: this.athletes, ...resume }));
        } else if (m.type === 'subscribed') {
          this.connected = true;
          resolve();
        } else if (m.type === 'snapshot') {
          for (const e of m.events) this.record(e.id, e.userId, e.source.receivedAt, m.resumed === true);
        } else if (m.type === 'event') {
          this.record(m.event.id, m.event.userId, m.event.source.receivedAt, false, true);
        }
      });
      ws.once('close', () => {
        const was = this.connected;
        this.connected = false;
        this.hadAtClose = new Set(this.seen.keys());
        if (was && !this.closing) {
          this.reconnects++;
          void this.open();
        }
      });
    });
  }

  private record(id: string, athlete: string, receivedAt: string, fromResume: boolean, live = false): void {
    // An event the board had before the drop, sent again in the resumed snapshot, is a replay.
    // (A snapshot may repeat an event that arrived live while it loaded: the page keeps one per id.)
    if (fromResume && this.hadAtClose.has(id)) this.replayed.push(id);
    if (live) this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
    else if (!this.seen.has(id)) this.seen.set(id, 0);
    this.athletesSeen.add(athlete);
    if (!this.cursor[athlete] || this.cursor[athlete]! < receivedAt) this.cursor[athlete] = receivedAt;
  }

  close(): void {
    this.closing = true;
    this.ws?.close();
  }
}

async function fleetDevices(cluster: Cluster, sql: postgres.Sql, prefix: string, n: number): Promise<FleetDevice[]> {
  const users = Array.from({ length: Math.min(USERS, n) }, (_, i) => `${prefix}-u${i}`);
  await sql`insert into users ${sql(users.map((id) => ({ id, name: id })))} on conflict do nothing`;
  return Promise.all(Array.from({ length: n }, async (_, i) => {
    const id = `${prefix}-d${String(i).padStart(4, '0')}`;
    const userId = users[i % users.length]!;
    return { id, userId, token: await cluster.mint({ subject: id, kind: 'device', users: [userId], ttlSeconds: 3600 }) };
  }));
}

/** Every acknowledged id stored exactly once, and the daily rollups counting each reading once. */
async function expectStoredOnce(sql: postgres.Sql, prefix: string, acked: ReadonlySet<string>): Promise<void> {
  const rows = await sql<{ id: string; n: number }[]>`select id, count(*)::int as n from observations where device_id like ${`${prefix}-%`} group by id`;
  const stored = new Map(rows.map((r) => [r.id, r.n]));
  const missing = [...acked].filter((id) => !stored.has(id));
  expect(missing, 'acknowledged readings missing from Postgres').toEqual([]);
  expect(rows.filter((r) => r.n !== 1), 'readings stored more than once').toEqual([]);
  const rollups = await sql<{ user_id: string; stored: number; counted: number }[]>`
    select o.user_id, o.stored, coalesce(r.counted, 0)::int as counted
    from (select user_id, count(*)::int as stored from observations where device_id like ${`${prefix}-%`} and metric = 'heart_rate' group by user_id) o
    left join (select user_id, sum(hr_count)::int as counted from daily_rollups group by user_id) r using (user_id)`;
  expect(rollups.length).toBeGreaterThan(0);
  expect(rollups.filter((r) => r.stored !== r.counted), 'daily rollups that do not count each reading once').toEqual([]);
}

function connectTo(port: number, clientId: string, token: string, o: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const client = mqtt.connect({ host: '127.0.0.1', port, clientId, username: clientId, password: token, clean: false, reconnectPeriod: 0, ...o });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

describe('cluster failover: 2 brokers and 2 web nodes behind HAProxy', () => {
  let cluster: Cluster;
  let sql: postgres.Sql;

  beforeAll(async () => {
    cluster = await startCluster({ logLevel: 'warn' });
    sql = postgres(cluster.state.database.url, { max: 2, onnotice: () => {} });
  }, 90_000);

  afterAll(async () => {
    await sql?.end();
    await cluster?.stop();
  }, 60_000);

  it('a client id taken over on the other node: A is disconnected, B gets the session', async () => {
    await sql`insert into users (id, name) values ('tk-u', 'T') on conflict do nothing`;
    const token = await cluster.mint({ subject: 'tk-dev', kind: 'device', users: ['tk-u'], ttlSeconds: 300 });
    const a = await connectTo(cluster.node('broker-1').port!, 'tk-dev', token);
    await a.subscribeAsync('users/tk-u/commands', { qos: 1 });
    const aClosed = new Promise<void>((r) => a.once('close', () => r()));
    const b = await connectTo(cluster.node('broker-2').port!, 'tk-dev', token);
    // [MQTT-3.1.4-2]: the server disconnects the existing client with the same client id.
    await waitFor(() => aClosed.then(() => true), { timeout: 10_000, what: 'A to be disconnected by the takeover on the other node' });
    // ...and B continues A's session: present, with A's subscription.
    const connack = await new Promise<boolean>((r) => (b.connected ? r(true) : b.once('connect', () => r(true))));
    expect(connack).toBe(true);
    const admin = await connectTo(cluster.mqtt.port, 'tk-admin', await cluster.mint({ subject: 'tk-admin', kind: 'admin', ttlSeconds: 300 }), { clean: true });
    const got = new Promise<string>((r) => b.once('message', (_t, p) => r(p.toString())));
    await admin.publishAsync('users/tk-u/commands', 'hello', { qos: 1 });
    expect(await Promise.race([got, new Promise((r) => setTimeout(() => r('nothing within 10 s'), 10_000))])).toBe('hello');
    await Promise.all([b.endAsync(), admin.endAsync(), a.endAsync(true)]);
  }, 30_000);

  it(`SIGKILL a broker mid-stream (${DEVICES} devices, QoS 1, persistent sessions): devices resume on the survivor, every acknowledged reading stored once`, async () => {
    const devices = await fleetDevices(cluster, sql, 'fo', DEVICES);
    const fleet = await Fleet.connect({ url: cluster.mqtt.url, devices, subscribe: true });
    // A device with an unacknowledged command on broker-1 (its session lives there): after the
    // kill it must get it again on broker-2, with DUP set [MQTT-4.4.0-1].
    const probeToken = await cluster.mint({ subject: 'fo-probe', kind: 'device', users: ['fo-u0'], ttlSeconds: 300 });
    const probe = await connectTo(cluster.node('broker-1').port!, 'fo-probe', probeToken);
    await probe.subscribeAsync('users/fo-u0/commands', { qos: 1 });
    // Never PUBACK it: mqtt.js acknowledges once handleMessage calls back.
    probe.handleMessage = (_packet, _callback) => {};
    const firstDelivery = new Promise<void>((r) => probe.on('packetreceive', (p) => p.cmd === 'publish' && r()));
    const admin = await connectTo(cluster.node('broker-2').port!, 'fo-admin', await cluster.mint({ subject: 'fo-admin', kind: 'admin', ttlSeconds: 300 }), { clean: true });
    await admin.publishAsync('users/fo-u0/commands', 'cmd-1', { qos: 1 });
    await firstDelivery;
    try {
      fleet.start();
      await waitFor(() => fleet.acked.size >= DEVICES * 3, { timeout: 30_000, what: 'three seconds of readings' });
      const before = fleet.acked.size;
      await cluster.kill('broker-1', 'SIGKILL');
      // Devices of broker-1 are cut (HAProxy closes their side); each reconnects through HAProxy to broker-2.
      await waitFor(() => fleet.states.some((s) => s.closes > 0), { timeout: 15_000, what: 'the devices of the killed node to be cut' });
      await waitFor(() => fleet.states.every((s) => s.client.connected && (s.closes === 0 || s.connacks.length > 1)), { timeout: 60_000, what: 'every device to be connected again' })
        .catch((err: Error) => {
          const down = fleet.states.filter((s) => !s.client.connected || (s.closes > 0 && s.connacks.length < 2));
          throw new Error(`${err.message}: ${down.length} not back, e.g. ${JSON.stringify(down.slice(0, 3).map((s) => ({ id: s.device.id, closes: s.closes, connacks: s.connacks, connected: s.client.connected })))}`);
        });
      const moved = fleet.states.filter((s) => s.closes > 0);
      expect(moved.length, 'devices whose connection was on the killed node').toBeGreaterThan(0);
      // Their sessions lived in Redis: each one is resumed (session present) [MQTT-3.2.2-2].
      expect(moved.filter((s) => !s.connacks.at(-1)).map((s) => s.device.id)).toEqual([]);
      await waitFor(() => fleet.acked.size >= before + DEVICES * 3, { timeout: 60_000, what: 'three more seconds of readings after the kill' });
      await fleet.drain();
    } finally {
      await fleet.close();
    }
    // The probe's session lived on broker-1: through HAProxy it lands on broker-2, which sends the
    // unacknowledged command again with DUP.
    probe.end(true);
    const resumed = mqtt.connect({ host: '127.0.0.1', port: cluster.mqtt.port, clientId: 'fo-probe', username: 'fo-probe', password: probeToken, clean: false, reconnectPeriod: 500 });
    const redelivered = await new Promise<{ payload: string; dup: boolean; sessionPresent: boolean }>((resolve, reject) => {
      let sessionPresent = false;
      resumed.on('connect', (c) => (sessionPresent = c.sessionPresent));
      resumed.on('packetreceive', (p) => p.cmd === 'publish' && resolve({ payload: p.payload.toString(), dup: p.dup, sessionPresent }));
      setTimeout(() => reject(new Error('the unacknowledged command was not delivered again')), 20_000);
    });
    expect(redelivered).toEqual({ payload: 'cmd-1', dup: true, sessionPresent: true });
    await Promise.all([resumed.endAsync(), admin.endAsync()]);

    expect(fleet.publishErrors).toEqual([]);
    await expectStoredOnce(sql, 'fo', fleet.acked);
    console.log(`broker SIGKILL: ${fleet.acked.size} readings acknowledged and stored once; ${fleet.states.filter((s) => s.connacks.length > 1).length}/${DEVICES} devices moved to the survivor; ${fleet.dupsSent} publishes resent with DUP`);
    await cluster.restart('broker-1');
  }, 150_000);

  it(`SIGKILL a web node while ${BOARDS} boards watch ${ATHLETES} athletes: boards reconnect through HAProxy, resume without replay, see only consented athletes`, async () => {
    const athletes = Array.from({ length: ATHLETES }, (_, i) => `wb-a${i}`);
    await sql`insert into users ${sql(athletes.map((id) => ({ id, name: id })))} on conflict do nothing`;
    // Coach i may see the athletes a with a % 4 === i % 4; every board asks for all of them.
    const allowed = (coach: number) => new Set(athletes.filter((_, a) => a % 4 === coach % 4));
    const consents = Array.from({ length: BOARDS }, (_, c) => [...allowed(c)].map((a) => ({ athlete_id: a, viewer_id: `wb-c${c}` }))).flat();
    await sql`insert into consents ${sql(consents)}`;
    const boards = await Promise.all(Array.from({ length: BOARDS }, async (_, c) => new Board(cluster.http.url.replace('http', 'ws'), await cluster.mint({ subject: `wb-c${c}`, kind: 'coach', ttlSeconds: 600 }), athletes)));
    await Promise.all(boards.map((b) => b.open()));
    const devices = await Promise.all(athletes.map(async (a) => ({ id: `wb-d-${a}`, userId: a, token: await cluster.mint({ subject: `wb-d-${a}`, kind: 'device', users: [a], ttlSeconds: 600 }) })));
    const fleet = await Fleet.connect({ url: cluster.mqtt.url, devices, periodMs: 500 });
    try {
      fleet.start();
      await waitFor(() => boards.every((b) => b.seen.size >= 20), { timeout: 30_000, what: 'every board to see live events' });
      await cluster.kill('web-1', 'SIGKILL');
      await waitFor(() => boards.some((b) => b.reconnects > 0), { timeout: 15_000, what: 'the boards of the killed node to notice' });
      const moved = boards.filter((b) => b.reconnects > 0);
      await waitFor(() => moved.every((b) => b.connected), { timeout: 30_000, what: 'the boards to reconnect through HAProxy' });
      const counts = new Map(moved.map((b) => [b, b.seen.size]));
      await waitFor(() => moved.every((b) => b.seen.size >= counts.get(b)! + 20), { timeout: 30_000, what: 'live events on the reconnected boards' });
      await fleet.drain();
    } finally {
      await fleet.close();
      for (const b of boards) b.close();
    }
    const moved = boards.filter((b) => b.reconnects > 0);
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.length).toBeLessThan(BOARDS); // the boards of web-2 never noticed
    for (const [c, b] of boards.entries()) {
      expect(b.replayed, `board ${c} was sent events it already had`).toEqual([]);
      expect([...b.seen].filter(([, n]) => n > 1), `board ${c} got a live event twice`).toEqual([]);
      expect([...b.athletesSeen].filter((a) => !allowed(c).has(a)), `board ${c} saw athletes it may not see`).toEqual([]);
    }
    console.log(`web SIGKILL: ${moved.length}/${BOARDS} boards reconnected and resumed; ${boards.reduce((n, b) => n + b.seen.size, 0)} events shown, none twice, none of an athlete without consent`);
    await cluster.restart('web-1');
  }, 120_000);

  it('the wills of a SIGKILLed broker node are published by the survivor (aedes-persistence-redis keeps them)', async () => {
    // The harness runs broker nodes with a 2 s heartbeat (PULSEHUB_BROKER_HEARTBEAT_MS): a node
    // silent for 3 heartbeats is dead, checked every 4, so the will comes within ~15 s.
    const gwToken = await cluster.mint({ subject: 'wl-gw', kind: 'gateway', users: [], ttlSeconds: 300 });
    const admin = await connectTo(cluster.node('broker-2').port!, 'wl-admin', await cluster.mint({ subject: 'wl-admin', kind: 'admin', ttlSeconds: 300 }), { clean: true });
    await admin.subscribeAsync('gateways/+/status', { qos: 1 });
    const will = new Promise<string>((r) => admin.on('message', (t, p) => t === 'gateways/wl-gw/status' && r(p.toString())));
    const gw = await connectTo(cluster.node('broker-1').port!, 'wl-gw', gwToken, { will: { topic: 'gateways/wl-gw/status', payload: Buffer.from('offline'), qos: 1, retain: false } });
    gw.on('error', () => {});
    await cluster.kill('broker-1', 'SIGKILL');
    const t0 = Date.now();
    expect(await Promise.race([will, new Promise((r) => setTimeout(() => r('no will within 40 s'), 40_000))])).toBe('offline');
    console.log(`will of the killed node's gateway published by broker-2 after ${Date.now() - t0} ms`);
    gw.end(true);
    await admin.endAsync();
    await cluster.restart('broker-1');
  }, 60_000);
});
