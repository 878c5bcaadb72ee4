import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLE_ERROR_CODES } from '../src/errors.js';
import { loadConfig, parseConfig, resolveToken } from '../src/config/config.js';
import { parseArgs } from '../src/cli/args.js';
import { describePeripheral } from '../src/cli/scan.js';
import type { NoblePeripheral } from '../src/runtime/noble.js';
import * as api from '../src/index.js';

const BIN = fileURLToPath(new URL('../bin/pulsehub-gateway.mjs', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ph-gw-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const good = { gateway: { id: 'pi-1', token: 'tok' }, hub: { mqttUrl: 'mqtt://127.0.0.1:1' }, devices: [{ address: 'c0:ff:ee:00:00:01', profile: 'heart_rate', userId: 'ana' }] };

describe('pulsehub-gateway CLI', () => {
  it('run without Bluetooth: exit 3 and what to install/allow, no stack trace', async () => {
    const path = join(dir, 'ok.json');
    await writeFile(path, JSON.stringify({ ...good, queue: { dir: join(dir, 'q') } }));
    const r = await runBin(['run', '--config', path]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^pulsehub-gateway: /);
    expect(r.stderr).toMatch(/BlueZ/);
    expect(r.stderr).toContain('setcap cap_net_raw,cap_net_admin+eip');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }, 20_000);

  it('an invalid config: exit 2, every problem named by its field', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, JSON.stringify({ gateway: { id: 'pi/1' }, hub: { mqttUrl: 'http://x' }, devices: [{ address: 'nope', profile: 'heart_rate', userId: 'ana' }, { profile: 'toaster', userId: 'bo b' }] }));
    const r = await runBin(['run', '--config', path]);
    expect(r.code).toBe(2);
    for (const field of ['gateway.id:', 'hub.mqttUrl:', 'devices[0].address:', 'devices[1].profile:', 'devices[1].userId:']) expect(r.stderr).toContain(field);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  }, 20_000);

  it('usage errors and help', async () => {
    const r = await runBin(['run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('run needs --config');
    const h = await runBin(['help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('pulsehub-gateway <command>');
    const missing = await runBin(['run', '--config', join(dir, 'missing.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  }, 20_000);
});

describe('config', () => {
  it('defaults, normalized addresses, frozen', () => {
    const c = parseConfig({ ...good, devices: [{ address: 'C0-FF-EE-00-00-01', profile: 'mi_scale', userId: 'ana' }] });
    expect(c.devices[0]?.address).toBe('c0:ff:ee:00:00:01');
    expect(c.queue).toEqual({ dir: '/var/lib/pulsehub-gateway/queue', maxRecords: 100_000, maxBytes: 64 * 1024 * 1024, fsync: 'always' });
    expect(c.scaleClock).toBe('local');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('the shipped example config is valid', async () => {
    const c = await loadConfig(fileURLToPath(new URL('../../deploy/gateway-ble/config.example.json', import.meta.url)));
    expect(c.devices.map((d) => d.profile)).toEqual(['heart_rate', 'cycling_speed_cadence', 'blood_pressure', 'mi_body_scale', 'fitness_machine', 'heart_rate']);
  });

  it('names the field of each problem', () => {
    const attempt = (raw: unknown) => {
      try {
        parseConfig(raw);
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(attempt({ ...good, devices: [{ name: '^MI', profile: 'mi_scale', userId: 'ana' }] })).toContain('devices[0].deviceId: a device matched by name needs a deviceId');
    expect(attempt({ ...good, devices: [{ profile: 'mi_scale', userId: 'ana' }] })).toContain('devices[0].address: give an address or a name pattern');
    expect(attempt({ ...good, devices: [good.devices[0], good.devices[0]] })).toContain('devices[1].address: same address and profile as devices[0]');
    expect(attempt({ ...good, queue: { fsync: 'sometimes' } })).toContain('queue.fsync');
    expect(attempt({ ...good, extra: 1 })).toMatch(/Unrecognized key/);
  });

  it('token from the config, a file, or the environment', async () => {
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'from-file\n');
    expect(await resolveToken(parseConfig(good), {})).toBe('tok');
    expect(await resolveToken(parseConfig({ ...good, gateway: { id: 'pi-1', tokenFile } }), {})).toBe('from-file');
    expect(await resolveToken(parseConfig({ ...good, gateway: { id: 'pi-1' } }), { PULSEHUB_GATEWAY_TOKEN: 'env' })).toBe('env');
    await expect(resolveToken(parseConfig({ ...good, gateway: { id: 'pi-1' } }), {})).rejects.toMatchObject({ code: 'PH_GW_CONFIG_INVALID' });
    await writeFile(join(dir, 'notjson.json'), '{');
    await expect(loadConfig(join(dir, 'notjson.json'))).rejects.toMatchObject({ code: 'PH_GW_CONFIG_UNREADABLE' });
  });

  it('scan lines: address, name, services, bindable profiles, decoded advertisements', () => {
    const p = {
      id: 'x',
      address: 'aa:bb:cc:00:00:03',
      rssi: -70,
      advertisement: { localName: 'MIBFS', serviceUuids: ['181b'], serviceData: [{ uuid: '181b', data: Buffer.from([2, 0x26, 0xe9, 7, 11, 22, 10, 0, 0, 0xf4, 1, 0xb0, 0x36]) }] },
    } as unknown as NoblePeripheral;
    const line = describePeripheral(p);
    expect(line).toContain('aa:bb:cc:00:00:03  rssi -70  "MIBFS"  services [181b]  profiles: body_composition, mi_body_scale');
    expect(line).toContain('"impedanceOhm":500');
  });

  it('argument parsing', () => {
    expect(parseArgs(['pair', '--config', 'c.json', '--no-scan', '--user=ana'])).toEqual({ command: 'pair', flags: { config: 'c.json', 'no-scan': true, user: 'ana' }, rest: [] });
  });
});

describe('error catalog and public API', () => {
  it('every code is prefixed, documented and exported; errors carry their code', () => {
    for (const [code, text] of Object.entries(BLE_ERROR_CODES)) {
      expect(code).toMatch(/^PH_(BLE|GW)_[A-Z_]+$/);
      expect(text.length).toBeGreaterThan(10);
      expect(new api.BleGatewayError(code as keyof typeof BLE_ERROR_CODES).code).toBe(code);
    }
  });

  it('index.ts exposes the gateway parts', () => {
    for (const name of ['decodeHeartRate', 'decodeCharacteristic', 'DiskQueue', 'Forwarder', 'createHubClient', 'BleRuntime', 'ReadingSink', 'parseConfig', 'loadNoble', 'nobleWithBindings', 'registerDevice', 'main']) {
      expect(api, name).toHaveProperty(name);
    }
  });
});
