import { describe, expect, it } from 'vitest';
import { waitFor } from '@pulsehub/testkit';
import { hex } from './helpers.js';
import { startRuntime } from './runtime-helpers.js';

describe('fitness machine (FTMS 0x1826) through the runtime', () => {
  it('subscribes to the machine data it offers and publishes each completed Data Record once', async () => {
    const { binding, readings } = await startRuntime([{ address: 'c0:ff:ee:00:00:20', profile: 'fitness_machine', userId: 'eva', deviceId: 'bike-3' }]);
    // an indoor bike offers 0x2AD2 only (no treadmill or rower data)
    const bike = binding.add({ id: 'p20', address: 'c0:ff:ee:00:00:20', services: { '1826': [{ uuid: '2ad2', properties: ['notify'] }] } });
    binding.advertise(bike);
    await waitFor(() => binding.subscribed.has('p20/2ad2'), { timeout: 3000, what: 'subscribed to Indoor Bike Data' });
    binding.push(bike, '1826', '2ad2', Buffer.from(hex('44 00 10 09 B4 00 FA 00'))); // one notification: speed, cadence, power
    binding.push(bike, '1826', '2ad2', Buffer.from(hex('41 00 04 01'))); // More Data: power 260 …
    binding.push(bike, '1826', '2ad2', Buffer.from(hex('04 02 20 09 B6 00 8C'))); // … closed by speed 23.36 km/h, cadence 91, HR 140
    binding.push(bike, '1826', '2ad2', Buffer.from(hex('44 00 10'))); // truncated: dropped
    await waitFor(() => readings.filter((r) => r.source === '2ad2').length >= 2, { timeout: 3000, what: 'two records' });
    await new Promise((r) => setTimeout(r, 50));
    const records = readings.filter((r) => r.source === '2ad2');
    expect(records.map((r) => r.reading)).toEqual([
      { kind: 'indoor_bike', speedMps: 6.444444, cadenceRpm: 90, powerW: 250 },
      { kind: 'indoor_bike', powerW: 260, speedMps: 6.488889, cadenceRpm: 91, heartRateBpm: 140 },
    ]);
    expect(records[0]?.sensor).toEqual({ userId: 'eva', deviceId: 'bike-3', address: 'c0:ff:ee:00:00:20' });
  });
});

describe('broadcast heart rate from a watch (standard Heart Rate service 0x180D)', () => {
  // A watch in "broadcast HR" mode advertises the Heart Rate service like a strap, usually with
  // a random (privacy) address that can change: bind it by name, with a device id.
  const watch = (id: string, address: string) => ({
    id,
    address,
    localName: 'Forerunner 265',
    services: { '180d': [{ uuid: '2a37', properties: ['notify'] }] }, // no battery service, no RR, no contact sensing
  });

  it('connects, subscribes and decodes the watch notifications under the bound user and device', async () => {
    const { binding, readings, runtime } = await startRuntime([{ name: '^Forerunner', profile: 'heart_rate', userId: 'fay', deviceId: 'watch-fay' }]);
    const w = binding.add(watch('p30', '5a:11:22:33:44:55'));
    binding.advertise(w);
    await waitFor(() => binding.subscribed.has('p30/2a37'), { timeout: 3000, what: 'subscribed to the watch' });
    binding.push(w, '180d', '2a37', Buffer.from(hex('00 7C'))); // flags 0: uint8 124 bpm, contact not supported
    binding.push(w, '180d', '2a37', Buffer.from(hex('00 7E')));
    await waitFor(() => readings.length >= 2, { timeout: 3000, what: 'two heart rates' });
    expect(readings.map((r) => r.reading)).toEqual([
      { kind: 'heart_rate', bpm: 124, sensorContact: 'unsupported', rrMs: [] },
      { kind: 'heart_rate', bpm: 126, sensorContact: 'unsupported', rrMs: [] },
    ]);
    expect(readings[0]?.sensor).toMatchObject({ userId: 'fay', deviceId: 'watch-fay' });
    expect([...runtime.sessions.values()][0]?.state).toBe('connected');
  });

  it('a new random address after the watch restarts broadcasting still maps to the same user and device', async () => {
    const { binding, readings } = await startRuntime([{ name: '^Forerunner', profile: 'heart_rate', userId: 'fay', deviceId: 'watch-fay' }]);
    const first = binding.add(watch('p31', '5a:11:22:33:44:56'));
    binding.advertise(first);
    await waitFor(() => binding.subscribed.has('p31/2a37'), { timeout: 3000, what: 'first address' });
    binding.drop(first);
    binding.peripherals.delete('p31');
    const again = binding.add(watch('p32', '6b:77:88:99:aa:bb'));
    binding.advertise(again);
    await waitFor(() => binding.subscribed.has('p32/2a37'), { timeout: 3000, what: 'new address' });
    binding.push(again, '180d', '2a37', Buffer.from(hex('00 50')));
    await waitFor(() => readings.length >= 1, { timeout: 3000, what: 'heart rate after the address changed' });
    expect(readings[0]).toMatchObject({ sensor: { userId: 'fay', deviceId: 'watch-fay', address: '6b:77:88:99:aa:bb' }, reading: { bpm: 80 } });
  });
});
