import { describe, expect, it } from 'vitest';
import { ADVERTISEMENT_DECODERS, type AdvertisementProfileName } from '../src/decoders/advertisements.js';
import { waitFor } from '@pulsehub/testkit';
import { startRuntime } from './runtime-helpers.js';

/**
 * One weigh-in, one event — for every advertisement decoder the gateway has. Each decoder
 * needs a frame builder here (the Record type makes a missing one a compile error), and the
 * same repeat cases run against each through the real runtime: a scale re-advertises its
 * reading for seconds while the person stands on it and for minutes after they step off.
 */
interface Frame {
  kg: number;
  stabilized: boolean;
  removed?: boolean;
  impedance?: number;
  minute?: number;
}
const clock = (minute = 0) => [0xea, 0x07, 3, 2, 7, minute, 0]; // 2026-03-02 07:mm:00

const BUILDERS: Record<AdvertisementProfileName, (f: Frame) => Buffer> = {
  // control: bit 5 stabilized, bit 7 removed | weight u16 / 200 kg | date time
  mi_scale: (f) => {
    const w = Math.round(f.kg * 200);
    return Buffer.from([(f.stabilized ? 0x20 : 0) | (f.removed ? 0x80 : 0), w & 0xff, w >> 8, ...clock(f.minute)]);
  },
  // control 0 | control 1: bit 1 impedance, bit 5 stabilized, bit 7 removed | date time | impedance u16 | weight u16 / 200 kg
  mi_body_scale: (f) => {
    const w = Math.round(f.kg * 200);
    const z = f.impedance ?? 0;
    const c1 = 0x04 | (f.impedance ? 0x02 : 0) | (f.stabilized ? 0x20 : 0) | (f.removed ? 0x80 : 0);
    return Buffer.from([0x02, c1, ...clock(f.minute), z & 0xff, z >> 8, w & 0xff, w >> 8]);
  },
};

const weightOf = (r: { kind: string; kg?: number; weightKg?: number }): number | undefined => (r.kind === 'weight' ? r.kg : r.weightKg);

describe.each(Object.keys(ADVERTISEMENT_DECODERS) as AdvertisementProfileName[])('advertisement decoder %s: repeated advertisements stay one event', (profile) => {
  const decoder = ADVERTISEMENT_DECODERS[profile];
  const build = BUILDERS[profile];
  const impedance = decoder.measuresImpedance ? 495 : undefined;

  async function scale() {
    const { binding, readings } = await startRuntime([{ address: 'aa:bb:cc:00:00:10', profile, userId: 'dana', deviceId: `scale-${profile}` }]);
    const p = binding.add({ id: 'p10', address: 'aa:bb:cc:00:00:10', services: {} });
    const send = (f: Frame, times = 1) => {
      for (let i = 0; i < times; i++) {
        p.serviceData = [{ uuid: decoder.serviceData, data: build(f) }];
        binding.advertise(p);
      }
    };
    return { readings, send };
  }

  it('a weigh-in advertised 30 times while standing and 50 times after stepping off is one reading', async () => {
    const { readings, send } = await scale();
    send({ kg: 60.2, stabilized: false }, 5);
    send({ kg: 71.4, stabilized: false }, 5);
    send({ kg: 71.4, stabilized: true }, 10);
    send({ kg: 71.4, stabilized: true, ...(impedance ? { impedance } : {}) }, 20);
    send({ kg: 71.4, stabilized: true, removed: true, ...(impedance ? { impedance } : {}) }, 50);
    await waitFor(() => readings.length > 0, { timeout: 2000, what: 'weigh-in' });
    await new Promise((r) => setTimeout(r, 50));
    expect(readings).toHaveLength(1);
    expect(weightOf(readings[0]?.reading as never)).toBe(71.4);
    expect(readings[0]).toMatchObject({ source: profile, sensor: { userId: 'dana', deviceId: `scale-${profile}` } });
    if (impedance) expect(readings[0]?.reading).toMatchObject({ impedanceOhm: impedance });
  });

  it('the next weigh-in (a new step-on) is a second reading, even at the same weight', async () => {
    const { readings, send } = await scale();
    const done = { kg: 71.4, stabilized: true, ...(impedance ? { impedance } : {}) };
    send(done, 10);
    send({ ...done, removed: true }, 10);
    send({ kg: 20, stabilized: false }, 3); // someone steps on again
    send({ ...done, minute: 1 }, 10);
    send({ ...done, minute: 1, removed: true }, 10);
    await waitFor(() => readings.length >= 2, { timeout: 2000, what: 'two weigh-ins' });
    await new Promise((r) => setTimeout(r, 50));
    expect(readings.map((r) => weightOf(r.reading as never))).toEqual([71.4, 71.4]);
  });
});
