import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/cli/run.js';
import { pair } from '../src/cli/pair.js';
import { nobleWithBindings } from '../src/runtime/noble.js';
import { isBleGatewayError } from '../src/errors.js';
import { FakeBinding } from './fake-binding.js';
import { hex } from './helpers.js';
import { startTestHub, waitFor, type TestHub } from '@pulsehub/testkit';

/**
 * The real gateway (`run`: config, disk queue, MQTT publisher, BLE runtime on noble) against
 * the real hub (broker with JWT auth and ACL, ingest with the ble.v1 adapter, Postgres),
 * both started here. Only the radio is fake.
 */
let t: TestHub;
let hub: TestHub['hub'];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ph-gw-e2e-'));
  t = await startTestHub('postgres');
  hub = t.hub;
  await hub.store.users.upsert({ id: 'ana', name: 'Ana' });
  await hub.store.users.upsert({ id: 'bob', name: 'Bob' });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await rm(dir, { recursive: true, force: true });
});

async function writeGatewayConfig(name: string, token: string, devices: object[]): Promise<string> {
  const path = join(dir, `${name}.json`);
  const config = {
    gateway: { id: 'pi-e2e', token },
    hub: { mqttUrl: hub.mqtt.url, apiUrl: hub.http.url },
    queue: { dir: join(dir, `${name}-queue`) },
    logLevel: 'silent',
    devices,
  };
  await writeFile(path, JSON.stringify(config, null, 2));
  return path;
}

describe('gateway → hub, end to end', () => {
  it('readings from three sensors (strap, cuff, FTMS rower) arrive in the database under the right users', async () => {
    const token = await hub.mint({ subject: 'pi-e2e', kind: 'gateway', users: ['ana', 'bob'] });
    const configPath = await writeGatewayConfig('run', token, [
      { address: 'c0:ff:ee:00:00:01', profile: 'heart_rate', userId: 'ana', deviceId: 'hrm-ana' },
      { address: 'c0:ff:ee:00:00:02', profile: 'blood_pressure', userId: 'bob', deviceId: 'cuff-bob' },
      { address: 'c0:ff:ee:00:00:03', profile: 'fitness_machine', userId: 'bob', deviceId: 'rower-bob' },
    ]);
    const binding = new FakeBinding();
    let stop!: () => void;
    const stopSignal = new Promise<void>((r) => (stop = r));
    const running = run(configPath, { env: {}, noble: () => nobleWithBindings(binding), stopSignal });

    const strap = binding.add({ id: 'p1', address: 'c0:ff:ee:00:00:01', services: { '180d': [{ uuid: '2a37', properties: ['notify'] }] } });
    const cuff = binding.add({ id: 'p2', address: 'c0:ff:ee:00:00:02', services: { '1810': [{ uuid: '2a35', properties: ['indicate'] }] } });
    const rower = binding.add({ id: 'p3', address: 'c0:ff:ee:00:00:03', services: { '1826': [{ uuid: '2ad1', properties: ['notify'] }] } });
    await waitFor(() => binding.scanning, { timeout: 10_000, what: 'scanning' });
    binding.advertise(strap);
    binding.advertise(cuff);
    binding.advertise(rower);
    await waitFor(() => binding.subscribed.has('p1/2a37') && binding.subscribed.has('p2/2a35') && binding.subscribed.has('p3/2ad1'), { timeout: 5000, what: 'subscriptions' });
    for (let i = 0; i < 5; i++) {
      binding.push(strap, '180d', '2a37', Buffer.from([0x16, 70 + i, 0x00, 0x04]));
      await new Promise((r) => setTimeout(r, 5)); // distinct receive times
    }
    // 120/80 mmHg, MAP 93, 2025-11-22 10:00:00, pulse 64
    binding.push(cuff, '1810', '2a35', Buffer.from(hex('06 78 00 50 00 5D 00 E9 07 0B 16 0A 00 00 40 00')));
    // FTMS Rower Data: stroke rate 24 /min, 321 strokes, 210 W
    binding.push(rower, '1826', '2ad1', Buffer.from(hex('20 00 30 41 01 D2 00')));

    const count = async (userId: string) => hub.store.observations.count({ userId });
    let ana = 0;
    let bob = 0;
    const deadline = Date.now() + 15_000;
    while ((ana < 5 || bob < 2) && Date.now() < deadline) {
      [ana, bob] = await Promise.all([count('ana'), count('bob')]);
      await new Promise((r) => setTimeout(r, 100));
    }
    stop();
    await running;
    expect(await hub.store.observations.count({ userId: 'ana', metric: 'heart_rate' })).toBe(5);
    expect(await hub.store.observations.count({ userId: 'bob', metric: 'blood_pressure' })).toBe(1);
    expect(await hub.store.observations.count({ userId: 'bob', metric: 'rowing' })).toBe(1);
    expect(await hub.store.observations.count({ userId: 'bob', metric: 'heart_rate' })).toBe(0);
  }, 40_000);

  it('pair: the real POST /api/devices lets a gateway pair sensors for its bound users only, and the binding is written', async () => {
    const gatewayToken = await hub.mint({ subject: 'pi-e2e', kind: 'gateway', users: ['ana'] });
    const configPath = await writeGatewayConfig('pair', gatewayToken, []);
    const out: string[] = [];
    const base = { configPath, userId: 'ana', profile: 'heart_rate', address: 'C0:FF:EE:00:00:07', scan: false, scanSeconds: 1, write: true, env: {}, out: (l: string) => out.push(l) };

    await hub.store.users.upsert({ id: 'carl', name: 'Carl' });
    const refused = await pair({ ...base, userId: 'carl', address: 'C0:FF:EE:00:00:08' }).catch((e: unknown) => e);
    expect(isBleGatewayError(refused, 'PH_GW_PAIR_FAILED')).toBe(true);
    expect((refused as Error).message).toMatch(/HTTP 403 PH_AUTH_FORBIDDEN/);
    expect(JSON.parse(await readFile(configPath, 'utf8')).devices).toEqual([]);
    expect(await hub.store.devices.get('ble-c0ffee000008')).toBeUndefined();

    const binding = await pair(base);
    expect(binding).toMatchObject({ address: 'c0:ff:ee:00:00:07', deviceId: 'ble-c0ffee000007', userId: 'ana', profile: 'heart_rate' });
    expect(await hub.store.devices.get('ble-c0ffee000007')).toMatchObject({ userId: 'ana', adapter: 'ble.v1' });
    expect(JSON.parse(await readFile(configPath, 'utf8')).devices).toEqual([{ address: 'c0:ff:ee:00:00:07', profile: 'heart_rate', userId: 'ana', deviceId: 'ble-c0ffee000007' }]);
  }, 30_000);
});
