import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';
import { createBridge, bridgeNodeId, type Bridge, type BridgeOptions } from '@pulsehub/outbound';
import { PrivateMosquitto, waitFor } from '@pulsehub/testkit';

// Issue 14 §3, the Home Assistant bridge, against real brokers: the machine's Mosquitto on
// 1883 (unique topic prefixes per run, retained messages cleared after) and a private one
// this test stops and restarts.

const log = pino({ level: 'silent' });
const SHARED = 'mqtt://127.0.0.1:1883';
let seq = 0;
const base = Date.parse('2026-11-02T08:00:00Z');
const reading = (userId: string, metric: string, values: CanonicalEvent['values']): CanonicalEvent => {
  const at = new Date(base + seq++ * 1000).toISOString();
  // zero-padded: storage order (txid, id) within a batch is time order
  return { id: `b-${String(seq).padStart(6, '0')}`, userId, deviceId: `${userId}-dev`, metric: metric as CanonicalEvent['metric'], time: { at }, values, source: { adapter: 'pulsehub.v1', receivedAt: at } };
};
const hr = (userId: string, bpm: number) => reading(userId, 'heart_rate', { bpm: { value: bpm, unit: '/min' } });

interface Msg { topic: string; body: string; retain: boolean }

/** A subscriber that records every message (retained ones flagged). */
async function listen(url: string, filters: string[], opts: mqtt.IClientOptions = {}): Promise<{ client: MqttClient; msgs: Msg[] }> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 200, ...opts });
  const msgs: Msg[] = [];
  client.on('message', (topic, payload, packet) => msgs.push({ topic, body: payload.toString(), retain: packet.retain }));
  await client.subscribeAsync(filters, { qos: 1 });
  return { client, msgs };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function bridgeFor(store: Store, o: Partial<BridgeOptions> & { url: string }): { bridge: Bridge; prefix: string; discoveryPrefix: string; queueDir: string } {
  const run = randomBytes(4).toString('hex');
  const queueDir = o.queueDir ?? mkdtempSync(join(tmpdir(), 'ph-bridge-'));
  const prefix = o.prefix ?? `pulsehub-test-${run}`;
  const discoveryPrefix = o.discoveryPrefix ?? `ha-test-${run}`;
  const bridge = createBridge({ store, log, prefix, discoveryPrefix, queueDir, queueMax: 10_000, intervalMs: 50, ...o });
  cleanups.push(() => bridge.stop());
  if (!o.queueDir) cleanups.push(async () => rmSync(queueDir, { recursive: true, force: true }));
  return { bridge, prefix, discoveryPrefix, queueDir };
}

/** Clears every retained message under the given filters on the shared broker. */
async function clearRetained(filters: string[]): Promise<void> {
  const { client, msgs } = await listen(SHARED, filters);
  await new Promise((r) => setTimeout(r, 300)); // retained messages arrive right after SUBACK
  for (const m of msgs) if (m.retain && m.body !== '') await client.publishAsync(m.topic, '', { qos: 1, retain: true });
  await client.endAsync();
}

describe.each(['postgres', 'pglite'] as const)('Home Assistant bridge on %s, real Mosquitto on 1883', (kind) => {
  let db: TestDatabase;
  let store: Store;
  beforeAll(async () => {
    db = await createTestDatabase(kind);
    store = await openStore(db.target);
    await store.users.ensure(['ana', 'ben']);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('publishes discovery configs and states of consenting athletes only; revoking clears the configs', async () => {
    // Stored before the consent: the bridge starts at the present (newest reading per metric).
    await store.observations.commitBatch({ events: [
      hr('ana', 60), hr('ana', 61),
      reading('ana', 'body_weight', { kg: { value: 72.5, unit: 'kg' } }),
      reading('ana', 'blood_pressure', { systolic: { value: 121, unit: 'mm[Hg]' }, diastolic: { value: 79, unit: 'mm[Hg]' } }),
      hr('ben', 99),
    ] });
    const run = randomBytes(4).toString('hex');
    const [prefix, discoveryPrefix] = [`pulsehub-test-${run}`, `ha-test-${run}`];
    // Runs last (cleanups run in reverse): after the bridge's own `offline` on stop.
    cleanups.push(() => clearRetained([`${discoveryPrefix}/#`, `${prefix}/#`]));
    const { bridge } = bridgeFor(store, { url: SHARED, prefix, discoveryPrefix });
    const sub = await listen(SHARED, [`${discoveryPrefix}/#`, `${prefix}/#`]);
    cleanups.push(() => sub.client.endAsync());
    await store.syncLog.grant('ana', 'bridge', 'ana');
    expect(await bridge.start()).toBe(true);

    const node = bridgeNodeId(prefix, 'ana');
    const configs = () => sub.msgs.filter((m) => m.topic.startsWith(`${discoveryPrefix}/sensor/${node}/`) && m.body !== '');
    await waitFor(() => configs().length === 4, { what: 'four discovery configs (heart rate, weight, systolic, diastolic)' });
    const byObject = Object.fromEntries(configs().map((m) => [m.topic.split('/')[3], JSON.parse(m.body) as Record<string, unknown>]));
    expect(Object.keys(byObject).sort()).toEqual(['blood_pressure_diastolic', 'blood_pressure_systolic', 'body_weight', 'heart_rate']);
    expect(byObject.heart_rate).toMatchObject({
      state_topic: `${prefix}/ana/heart_rate`, value_template: '{{ value_json.value }}', unit_of_measurement: 'bpm', state_class: 'measurement',
      unique_id: `${node}_heart_rate`, availability_topic: `${prefix}/bridge/availability`,
      device: { identifiers: [node], name: 'PulseHub ana', manufacturer: 'PulseHub', model: 'Athlete' },
    });
    expect(byObject.heart_rate).not.toHaveProperty('device_class'); // HA has none for heart rate
    expect(byObject.body_weight).toMatchObject({ device_class: 'weight', unit_of_measurement: 'kg' });
    expect(byObject.blood_pressure_systolic).toMatchObject({ device_class: 'pressure', unit_of_measurement: 'mmHg', value_template: '{{ value_json.systolic }}', state_topic: `${prefix}/ana/blood_pressure` });

    // A new subscriber gets them retained: Home Assistant finds them after its own restart.
    const late = await listen(SHARED, [`${discoveryPrefix}/sensor/${node}/+/config`]);
    cleanups.push(() => late.client.endAsync());
    await waitFor(() => late.msgs.filter((m) => m.retain).length === 4, { what: 'retained configs for a late subscriber' });

    const states = (metric: string) => sub.msgs.filter((m) => m.topic === `${prefix}/ana/${metric}`).map((m) => JSON.parse(m.body) as Record<string, unknown>);
    // The newest per metric (or, when another transaction on the server held the batch back, the batch itself, in order).
    await waitFor(() => states('heart_rate').some((s) => s.value === 61) && states('blood_pressure').length >= 1, { what: 'the newest states' });
    expect(states('heart_rate').at(-1)).toEqual({ value: 61, unit: 'bpm', at: new Date(base + 1000 * (seq - 4)).toISOString() });
    expect(states('blood_pressure')[0]).toMatchObject({ systolic: 121, diastolic: 79, unit: 'mmHg' });
    await waitFor(() => sub.msgs.some((m) => m.topic === `${prefix}/bridge/availability` && m.body === 'online'), { what: 'availability online' });

    // New readings follow; ben (no consent) publishes nothing.
    await store.observations.commitBatch({ events: [hr('ana', 70), hr('ana', 71), hr('ben', 120)] });
    await waitFor(() => states('heart_rate').some((s) => s.value === 71), { what: 'new heart-rate states' });
    expect(states('heart_rate').map((s) => s.value).slice(-3)).toEqual([61, 70, 71]);
    expect(sub.msgs.filter((m) => m.topic.includes('/ben/') || m.topic.includes(bridgeNodeId(prefix, 'ben')))).toEqual([]);

    // Alerts: opened and resolved, with their own discovery config.
    await store.alerts.raise({ userId: 'ana', ruleId: 'hr-high', severity: 'warning', title: 'Heart rate high', detail: {}, readingIds: ['b-x'] });
    await store.alerts.resolve('ana', 'hr-high');
    const alerts = () => sub.msgs.filter((m) => m.topic === `${prefix}/ana/alert`).map((m) => JSON.parse(m.body) as { change: string; title: string });
    await waitFor(() => alerts().some((a) => a.change === 'resolved'), { what: 'the alert resolved' });
    expect(sub.msgs.some((m) => m.topic === `${discoveryPrefix}/sensor/${node}/alert/config`)).toBe(true);
    expect(alerts().every((a) => a.title === 'Heart rate high')).toBe(true);

    // Revoking: every config of ana's device is emptied (retained), and no more states.
    await store.syncLog.revoke('ana', 'bridge');
    const cleared = () => sub.msgs.filter((m) => m.topic.startsWith(`${discoveryPrefix}/sensor/${node}/`) && m.body === '' && m.retain === false);
    await waitFor(() => new Set(cleared().map((m) => m.topic)).size === 5, { what: 'five configs cleared' });
    const after = await listen(SHARED, [`${discoveryPrefix}/#`]);
    cleanups.push(() => after.client.endAsync());
    await waitFor(async () => (await store.bridge.list()).length === 0, { what: 'the cursor row removed' });
    await store.observations.commitBatch({ events: [hr('ana', 80)] });
    const enqueued = bridge.stats().enqueued;
    const steps = bridge.stats().steps;
    await waitFor(() => bridge.stats().steps >= steps + 3 && bridge.stats().backlog === 0, { what: 'three more steps, the queue drained' });
    expect(bridge.stats().enqueued).toBe(enqueued);
    expect(states('heart_rate').some((s) => s.value === 80)).toBe(false);
    expect(after.msgs.filter((m) => m.body !== '')).toEqual([]);
  }, 60_000);
});

describe('Home Assistant bridge, a private Mosquitto stopped and restarted', () => {
  let db: TestDatabase;
  let store: Store;
  let broker: PrivateMosquitto;
  beforeAll(async () => {
    db = await createTestDatabase('postgres');
    store = await openStore(db.target);
    await store.users.ensure(['cai', 'dee']);
    broker = new PrivateMosquitto();
    await broker.start();
  }, 60_000);
  afterAll(async () => {
    await broker?.destroy();
    await store?.close();
    await db?.drop();
  });

  const metricValue = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);

  it('loses nothing while the broker is down and across a bridge restart; the backlog is on /metrics', async () => {
    await store.syncLog.grant('cai', 'bridge', 'cai');
    const first = bridgeFor(store, { url: broker.url });
    const { prefix, queueDir } = first;
    // A persistent subscriber (QoS 1, clean: false): the broker keeps what arrives while it is away.
    const sub = await listen(broker.url, [`${prefix}/cai/heart_rate`], { clientId: `sub-${prefix}`, clean: false });
    cleanups.push(() => sub.client.endAsync());
    await first.bridge.start();
    // A new consent starts at the present: wait for the bridge to have taken cai on.
    await waitFor(async () => (await store.bridge.list()).some((r) => r.userId === 'cai'), { what: 'cai followed' });
    const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => hr('cai', 40 + ((from + i) % 200)));
    const sent: string[] = [];
    const commit = async (events: CanonicalEvent[]) => {
      await store.observations.commitBatch({ events });
      sent.push(...events.map((e) => (e.time as { at: string }).at));
    };
    await commit(batch(0, 100));
    const received = () => new Set(sub.msgs.map((m) => (JSON.parse(m.body) as { at: string }).at));
    await waitFor(() => received().size === 100, { what: 'the first 100 states' });

    await broker.stop();
    await commit(batch(100, 150));
    await waitFor(() => first.bridge.stats().backlog >= 150, { what: 'a backlog of 150 while the broker is down' });
    const text = await first.bridge.metrics();
    expect(metricValue(text, 'pulsehub_bridge_backlog')).toBeGreaterThanOrEqual(150);
    expect(metricValue(text, 'pulsehub_bridge_connected')).toBe(0);
    expect(metricValue(text, 'pulsehub_bridge_published_total')).toBeGreaterThanOrEqual(100);

    // The hub restarts meanwhile: a new bridge on the same queue directory finds the backlog on disk.
    await first.bridge.stop();
    await commit(batch(250, 50));
    const second = bridgeFor(store, { url: broker.url, prefix, queueDir });
    cleanups.push(async () => rmSync(queueDir, { recursive: true, force: true }));
    await second.bridge.start();
    await waitFor(() => second.bridge.stats().backlog >= 200, { what: 'the backlog recovered and grown' });

    await broker.start();
    await waitFor(() => received().size === 300, { timeout: 30_000, what: 'all 300 states after the broker returned' });
    expect([...received()].sort()).toEqual([...sent].sort());
    // In order: the backlog drains oldest first (a resend may repeat one, never go back further).
    const ats = sub.msgs.map((m) => (JSON.parse(m.body) as { at: string }).at);
    const firstSeen = ats.filter((a, i) => ats.indexOf(a) === i);
    expect(firstSeen).toEqual([...firstSeen].sort());
    await waitFor(() => second.bridge.stats().backlog === 0, { what: 'the queue drained' });
    expect(metricValue(await second.bridge.metrics(), 'pulsehub_bridge_connected')).toBe(1);
    expect(second.bridge.stats().dropped).toBe(0);
  }, 90_000);

  it('a bridge SIGKILLed at random moments and restarted: every stored reading still arrives', async () => {
    await store.users.ensure(['gus']);
    await store.syncLog.grant('gus', 'bridge', 'gus');
    const prefix = `crash-${randomBytes(4).toString('hex')}`;
    const queueDir = mkdtempSync(join(tmpdir(), 'ph-bridge-crash-'));
    cleanups.push(async () => rmSync(queueDir, { recursive: true, force: true }));
    const sub = await listen(broker.url, [`${prefix}/gus/heart_rate`], { clientId: `sub-${prefix}`, clean: false });
    cleanups.push(() => sub.client.endAsync());
    // `node --import tsx`, not the tsx CLI: a SIGKILL of the CLI would leave its grandchild running.
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const fixture = fileURLToPath(new URL('./fixtures/bridge-child.ts', import.meta.url));
    const sent: string[] = [];
    const runChild = async (work: () => Promise<void>, kill: boolean) => {
      const child = spawn(process.execPath, ['--import', tsx, fixture, db.url!, broker.url, queueDir, prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      let last = '';
      child.stdout.on('data', (d: Buffer) => (last = d.toString().trim().split('\n').at(-1) ?? last));
      await waitFor(() => /steps [1-9]/.test(last), { timeout: 30_000, what: 'the child bridge stepping' });
      await work();
      if (kill) {
        await new Promise((r) => setTimeout(r, Math.random() * 300));
        child.kill('SIGKILL');
      } else {
        await waitFor(() => new Set(sub.msgs.map((m) => (JSON.parse(m.body) as { at: string }).at)).size === sent.length, { timeout: 30_000, what: 'every reading after the crashes' }).catch(async (err: unknown) => {
          const got = new Set(sub.msgs.map((m) => (JSON.parse(m.body) as { at: string }).at));
          console.log({ last, sent: sent.length, got: got.size, msgs: sub.msgs.length, missing: sent.filter((a) => !got.has(a)).slice(0, 5), rows: await store.bridge.list() });
          throw err;
        });
        child.kill('SIGTERM');
      }
      await exited;
    };
    for (let run = 0; run < 6; run++) {
      await runChild(async () => {
        // A new consent starts at the present: gus must have been taken on before readings count.
        await waitFor(async () => (await store.bridge.list()).some((r) => r.userId === 'gus'), { what: 'gus followed' });
        const events = Array.from({ length: 100 }, (_, i) => hr('gus', 50 + ((run * 100 + i) % 150)));
        await store.observations.commitBatch({ events });
        sent.push(...events.map((e) => (e.time as { at: string }).at));
      }, true);
    }
    await runChild(async () => undefined, false);
    const received = new Set(sub.msgs.map((m) => (JSON.parse(m.body) as { at: string }).at));
    expect([...received].sort()).toEqual([...sent].sort());
    await store.syncLog.revoke('gus', 'bridge');
  }, 120_000);

  it('two nodes: one step at a time (advisory lock), each message queued once across both', async () => {
    await store.users.ensure(['eve']);
    await store.syncLog.grant('eve', 'bridge', 'eve');
    const a = bridgeFor(store, { url: broker.url });
    const b = bridgeFor(store, { url: broker.url, prefix: a.prefix, discoveryPrefix: a.discoveryPrefix });
    const sub = await listen(broker.url, [`${a.prefix}/eve/heart_rate`]);
    cleanups.push(() => sub.client.endAsync());
    // Rows of people revoked by earlier tests are cleaned up by these bridges: one emptied config per metric (heart rate only here).
    const live = new Set(['eve', ...(await store.syncLog.consents()).filter((c) => c.purpose === 'bridge' && !c.revokedAt).map((c) => c.userId)]);
    const stale = (await store.bridge.list()).filter((r) => !live.has(r.userId)).reduce((n, r) => n + r.metrics.length, 0);
    await Promise.all([a.bridge.start(), b.bridge.start()]);
    await waitFor(async () => (await store.bridge.list()).some((r) => r.userId === 'eve'), { what: 'eve followed' });
    for (let i = 0; i < 5; i++) await store.observations.commitBatch({ events: Array.from({ length: 20 }, (_, j) => hr('eve', 60 + i * 20 + j)) });
    await waitFor(() => new Set(sub.msgs.map((m) => m.body)).size === 100, { what: '100 states' });
    // The first heart-rate reading also brought its discovery config: 101 messages, each queued by one node only.
    await waitFor(() => a.bridge.stats().backlog + b.bridge.stats().backlog === 0, { what: 'both queues drained' });
    expect(a.bridge.stats().enqueued + b.bridge.stats().enqueued).toBe(101 + stale);
    expect(sub.msgs.length).toBe(100);
    await store.syncLog.revoke('eve', 'bridge');
  }, 60_000);

  it('erasing a person clears their discovery configs on the external broker', async () => {
    await store.users.ensure(['hal']);
    await store.syncLog.grant('hal', 'bridge', 'hal');
    const { bridge, prefix, discoveryPrefix } = bridgeFor(store, { url: broker.url });
    const node = bridgeNodeId(prefix, 'hal');
    const sub = await listen(broker.url, [`${discoveryPrefix}/sensor/${node}/#`]);
    cleanups.push(() => sub.client.endAsync());
    await bridge.start();
    await waitFor(async () => (await store.bridge.list()).some((r) => r.userId === 'hal'), { what: 'hal followed' });
    await store.observations.commitBatch({ events: [hr('hal', 64)] });
    await waitFor(() => sub.msgs.some((m) => m.body !== ''), { what: "hal's config" });
    await store.erasure.erase('hal', { subject: 'root', kind: 'admin' });
    // The row kept only the hashed node under a pseudonym: enough to clear, then it goes.
    await waitFor(() => sub.msgs.some((m) => m.topic === `${discoveryPrefix}/sensor/${node}/heart_rate/config` && m.body === ''), { what: 'the config emptied' });
    await waitFor(async () => (await store.bridge.list()).every((r) => r.userId !== 'hal' && !r.userId.endsWith(node)), { what: 'the row gone' });
    // A retained marker of our own: once it arrived, so did every retained message under the prefix (sent together after SUBACK).
    await sub.client.publishAsync(`${discoveryPrefix}/marker`, 'm', { qos: 1, retain: true });
    cleanups.push(() => sub.client.publishAsync(`${discoveryPrefix}/marker`, '', { qos: 1, retain: true }));
    const late = await listen(broker.url, [`${discoveryPrefix}/#`]);
    cleanups.push(() => late.client.endAsync());
    await waitFor(() => late.msgs.some((m) => m.topic.endsWith('/marker')), { what: 'the retained marker' });
    expect(late.msgs.filter((m) => !m.topic.endsWith('/marker'))).toEqual([]);
  }, 60_000);

  it('a full queue drops the oldest and counts them', async () => {
    await store.syncLog.grant('dee', 'bridge', 'dee');
    await store.syncLog.revoke('cai', 'bridge');
    const { bridge, prefix } = bridgeFor(store, { url: broker.url, queueMax: 50 });
    const sub = await listen(broker.url, [`${prefix}/dee/heart_rate`], { clientId: `sub-${prefix}`, clean: false });
    cleanups.push(() => sub.client.endAsync());
    await broker.stop();
    await bridge.start();
    await waitFor(async () => (await store.bridge.list()).some((r) => r.userId === 'dee'), { what: 'dee followed' });
    const events = Array.from({ length: 120 }, (_, i) => hr('dee', 50 + i));
    await store.observations.commitBatch({ events });
    // 1 discovery config + 120 states (+ the emptied config of cai, revoked): the newest 50 wait, the rest are dropped.
    await waitFor(() => bridge.stats().enqueued >= 121, { what: '121 messages queued' });
    const { enqueued, dropped, backlog } = bridge.stats();
    expect({ backlog, dropped }).toEqual({ backlog: 50, dropped: enqueued - 50 });
    expect(metricValue(await bridge.metrics(), 'pulsehub_bridge_dropped_total')).toBe(enqueued - 50);

    await broker.start();
    await waitFor(() => sub.msgs.length >= 50, { timeout: 30_000, what: 'the 50 kept states' });
    const values = sub.msgs.map((m) => (JSON.parse(m.body) as { value: number }).value);
    // only the newest survived, in order
    expect([...new Set(values)]).toEqual(Array.from({ length: 50 }, (_, i) => 120 + i));
  }, 60_000);
});
