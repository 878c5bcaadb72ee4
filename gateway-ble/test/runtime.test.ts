import { afterEach, describe, expect, it } from 'vitest';
import { BleGatewayPayload } from '@pulsehub/contracts';
import { parseConfig } from '../src/config/config.js';
import { BleRuntime } from '../src/runtime/gateway.js';
import { loadNoble, nobleWithBindings, whenPoweredOn } from '../src/runtime/noble.js';
import { isBleGatewayError } from '../src/errors.js';
import type { ReadingEvent } from '../src/pipeline/sink.js';
import { FakeBinding } from './fake-binding.js';
import { hex } from './helpers.js';
import { waitFor } from '@pulsehub/testkit';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

const config = parseConfig({
  gateway: { id: 'pi-test', token: 't' },
  hub: { mqttUrl: 'mqtt://127.0.0.1:1' },
  devices: [
    { address: 'C0:FF:EE:00:00:01', profile: 'heart_rate', userId: 'ana', deviceId: 'hrm-ana' },
    { address: 'c0:ff:ee:00:00:02', profile: 'cycling_speed_cadence', userId: 'bob', wheelCircumferenceM: 2 },
    { name: '^MIBFS$', profile: 'mi_body_scale', userId: 'cleo', deviceId: 'scale-home' },
  ],
});

async function setup(opts: { reconnectMs?: number; settleMs?: number } = {}) {
  const binding = new FakeBinding();
  const noble = await nobleWithBindings(binding);
  const readings: ReadingEvent[] = [];
  const runtime = new BleRuntime({
    noble,
    devices: config.devices,
    sink: { accept: async (e) => void readings.push(e) },
    reconnect: { initialMs: opts.reconnectMs ?? 40, maxMs: 400 },
    connectTimeoutMs: 300,
    weighInSettleMs: opts.settleMs ?? 5000,
  });
  await runtime.start();
  stops.push(() => runtime.stop());
  return { binding, runtime, readings };
}

const hrm = () => ({ id: 'p1', address: 'c0:ff:ee:00:00:01', services: { '180d': [{ uuid: '2a37', properties: ['notify'] }], '180f': [{ uuid: '2a19', properties: ['read'], value: Buffer.from([87]) }] } });
const csc = () => ({ id: 'p2', address: 'c0:ff:ee:00:00:02', services: { '1816': [{ uuid: '2a5b', properties: ['notify'] }] } });

describe('BLE runtime on noble with a fake binding', () => {
  it('connects to several bound sensors at once, subscribes, decodes notifications; ignores strangers', async () => {
    const { binding, runtime, readings } = await setup();
    const a = binding.add(hrm());
    const b = binding.add(csc());
    const stranger = binding.add({ id: 'p9', address: 'de:ad:be:ef:00:09', services: { '180d': [{ uuid: '2a37', properties: ['notify'] }] } });
    binding.advertise(a);
    binding.advertise(b);
    binding.advertise(stranger);
    await waitFor(() => binding.subscribed.has('p1/2a37') && binding.subscribed.has('p2/2a5b'), { timeout: 3000, what: 'subscriptions' });
    expect(binding.connectLog.map((c) => c.id).sort()).toEqual(['p1', 'p2']);
    expect(runtime.sessions.size).toBe(2);
    await waitFor(() => readings.some((r) => r.reading.kind === 'battery'), { timeout: 3000, what: 'battery read' });

    binding.push(a, '180d', '2a37', Buffer.from(hex('16 48 00 04'))); // 72 bpm, contact detected, RR 1000 ms
    binding.push(a, '180d', '2a37', Buffer.from(hex('04 00'))); // contact lost: dropped
    binding.push(a, '180d', '2a37', Buffer.from(hex('01 48'))); // truncated: dropped, counted
    binding.push(b, '1816', '2a5b', Buffer.from(hex('03 0A 00 00 00 00 04 05 00 00 04')));
    binding.push(b, '1816', '2a5b', Buffer.from(hex('03 0C 00 00 00 00 08 06 00 00 08')));
    await waitFor(() => readings.filter((r) => r.reading.kind !== 'battery').length >= 3, { timeout: 3000, what: 'readings' });

    const hr = readings.filter((r) => r.reading.kind === 'heart_rate');
    expect(hr).toHaveLength(1);
    expect(hr[0]).toMatchObject({ sensor: { userId: 'ana', deviceId: 'hrm-ana', address: 'c0:ff:ee:00:00:01' }, source: '2a37', reading: { bpm: 72, rrMs: [1000] } });
    expect(readings.find((r) => r.reading.kind === 'battery')).toMatchObject({ sensor: { userId: 'ana' }, reading: { percent: 87 } });
    const cyc = readings.filter((r) => r.reading.kind === 'cycling_speed_cadence');
    expect(cyc.map((r) => r.sensor)).toEqual([
      { userId: 'bob', deviceId: 'ble-c0ffee000002', address: 'c0:ff:ee:00:00:02' },
      { userId: 'bob', deviceId: 'ble-c0ffee000002', address: 'c0:ff:ee:00:00:02' },
    ]);
    expect(cyc[1]?.reading).toMatchObject({ speedMps: 4, cadenceRpm: 60 }); // 2 revs × 2 m in 1 s; 1 crank rev in 1 s
    expect([...runtime.sessions.values()].find((s) => s.sensor.userId === 'ana')?.decodeErrors).toBe(1);
  });

  it('reconnects with growing backoff after failures and after the sensor drops out', async () => {
    const { binding, runtime, readings } = await setup({ reconnectMs: 40 });
    const a = binding.add({ ...hrm(), failConnects: 3 });
    binding.advertise(a);
    await waitFor(() => binding.subscribed.has('p1/2a37'), { timeout: 5000, what: 'subscribed after failures' });
    const at = binding.connectLog.map((c) => c.at);
    expect(at).toHaveLength(4);
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number));
    // 40, 80, 160 ms nominal with ±25 % jitter
    expect(gaps[0]).toBeGreaterThanOrEqual(25);
    expect(gaps[2]).toBeGreaterThan(gaps[0] as number);

    binding.drop(a);
    await waitFor(() => binding.connectLog.length === 5 && binding.subscribed.has('p1/2a37'), { timeout: 3000, what: 'reconnected after drop' });
    binding.push(a, '180d', '2a37', Buffer.from(hex('06 50')));
    await waitFor(() => readings.some((r) => r.reading.kind === 'heart_rate'), { timeout: 3000, what: 'reading after reconnect' });
    // Notifications flow once subscribed; the session says connected after its battery read.
    await waitFor(() => [...runtime.sessions.values()][0]?.state === 'connected', { timeout: 3000, what: 'connected after reconnect' });
  });

  it('a sensor that never answers times out and keeps being retried', async () => {
    const { binding, runtime } = await setup({ reconnectMs: 40 });
    const a = binding.add({ ...hrm(), silent: true });
    binding.advertise(a);
    await waitFor(() => binding.connectLog.length >= 2, { timeout: 3000, what: 'a retry after the connect timeout' });
    expect([...runtime.sessions.values()][0]?.state).not.toBe('connected');
  });

  it('a Mi body scale: one weigh-in, one reading — with the impedance, and the 1970 clock flagged as unset', async () => {
    const { binding, readings } = await setup();
    const scale = binding.add({ id: 'p3', address: 'aa:bb:cc:00:00:03', localName: 'MIBFS', services: {} });
    const frame = (ctrl1: number, impedance: number, weight200: number) =>
      Buffer.from([0x02, ctrl1, 0xb2, 0x07, 1, 1, 0, 0, 0, impedance & 0xff, impedance >> 8, weight200 & 0xff, weight200 >> 8]);
    const send = (f: Buffer) => {
      scale.serviceData = [{ uuid: '181b', data: f }];
      binding.advertise(scale);
    };
    send(frame(0x04, 0, 14000)); // unstable
    send(frame(0x04, 0, 15500));
    send(frame(0x24, 0, 15600)); // stabilized, impedance still being measured
    send(frame(0x24, 0, 15600));
    expect(readings).toHaveLength(0);
    send(frame(0x26, 480, 15600)); // stabilized with impedance: the weigh-in
    send(frame(0x26, 480, 15600));
    send(frame(0xa6, 480, 15600)); // stepped off: re-advertised for minutes
    send(frame(0xa6, 480, 15600));
    await waitFor(() => readings.length > 0, { timeout: 2000, what: 'weigh-in' });
    await new Promise((r) => setTimeout(r, 50));
    expect(readings).toHaveLength(1);
    expect(readings[0]).toMatchObject({
      sensor: { userId: 'cleo', deviceId: 'scale-home', address: 'aa:bb:cc:00:00:03' },
      source: 'mi_body_scale',
      reading: { kind: 'body_composition', weightKg: 78, impedanceOhm: 480 },
      timestamp: { year: 1970 },
    });
  });

  it('a body scale that never measures impedance is published at removal', async () => {
    const { binding, readings } = await setup();
    const scale = binding.add({ id: 'p4', address: 'aa:bb:cc:00:00:04', localName: 'MIBFS', services: {} });
    const ts = [0xe9, 0x07, 11, 22, 10, 0, 0];
    for (const ctrl1 of [0x04, 0x24, 0x24, 0xa4, 0xa4]) {
      scale.serviceData = [{ uuid: '0000181b-0000-1000-8000-00805f9b34fb', data: Buffer.from([0x02, ctrl1, ...ts, 0xfe, 0xff, 0xb0, 0x36]) }];
      binding.advertise(scale);
    }
    await waitFor(() => readings.length > 0, { timeout: 2000, what: 'weigh-in' });
    expect(readings).toHaveLength(1);
    expect(readings[0]?.reading).toEqual({ kind: 'body_composition', weightKg: 70, displayUnit: 'kg' });
  });

  it('payloads built from runtime readings are valid ble.v1 messages', async () => {
    const { ReadingSink } = await import('../src/pipeline/sink.js');
    const { buildPayload, measurementTime } = await import('../src/pipeline/payload.js');
    const t = measurementTime({ year: 1970, month: 1, day: 1, hours: 0, minutes: 0, seconds: 0 }, new Date('2026-03-02T07:00:00Z'), 'local');
    expect(t).toEqual({ measuredAt: '2026-03-02T07:00:00.000Z', clockUnset: true });
    const ahead = measurementTime({ year: 2030, month: 1, day: 1, hours: 0, minutes: 0, seconds: 0 }, new Date('2026-03-02T07:00:00Z'), 'utc');
    expect(ahead.clockUnset).toBe(true);
    const { payload, topic } = buildPayload(
      { gatewayId: 'pi', sensor: { deviceId: 'scale-home', address: 'aa:bb:cc:00:00:03', userId: 'cleo' }, source: 'mi_body_scale', reading: { kind: 'body_composition', weightKg: 78, displayUnit: 'kg' }, time: t, receivedAt: new Date('2026-03-02T07:00:00Z') },
      0,
    );
    expect(topic).toBe('users/cleo/events');
    expect(BleGatewayPayload.parse(payload)).toMatchObject({ clockUnset: true, deviceId: 'scale-home' });
    expect(typeof ReadingSink).toBe('function');
  });
});

describe('without Bluetooth', () => {
  it('loading the real noble fails with a typed error that says what to install and allow', async () => {
    const err = await loadNoble().catch((e: unknown) => e);
    expect(isBleGatewayError(err, 'PH_BLE_UNAVAILABLE')).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toMatch(/EAFNOSUPPORT/);
    expect(msg).toMatch(/bluez/i);
    expect(msg).toContain('setcap cap_net_raw,cap_net_admin+eip');
  });

  it('an adapter that reports unauthorized or never powers on is PH_BLE_UNAVAILABLE', async () => {
    const binding = new FakeBinding();
    binding.initialState = 'unauthorized';
    const err = await whenPoweredOn(await nobleWithBindings(binding), 1000).catch((e: unknown) => e);
    expect(isBleGatewayError(err, 'PH_BLE_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toMatch(/unauthorized/);
    const off = new FakeBinding();
    off.initialState = 'poweredOff';
    const err2 = await whenPoweredOn(await nobleWithBindings(off), 100).catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(/did not power on/);
  });
});
