import { describe, expect, it } from 'vitest';
import { BleGatewayPayload } from '@pulsehub/contracts';
import { bleV1 } from '../src/adapters/ble-v1.js';
import { createAdapterRegistry } from '../src/adapters/registry.js';
import { CTX, events, reason, vals } from './adapters-harness.js';

const base = {
  format: 'ble.v1',
  id: 'ble-0123456789abcdef0123456789abcdef',
  gatewayId: 'pi-kitchen',
  deviceId: 'hrm-ana',
  address: 'c0:ff:ee:00:00:01',
  source: '2a37',
  seq: 0,
  measuredAt: '2026-03-02T11:59:58.000Z',
  receivedAt: '2026-03-02T11:59:58.000Z',
  clockUnset: false,
};
const msg = (reading: object, extra: object = {}) => ({ ...base, ...extra, reading });

describe('ble.v1 adapter', () => {
  it('is registered by default', () => {
    expect(createAdapterRegistry().resolve('ble.v1', undefined)).toBe(bleV1);
  });

  it('heart rate with RR intervals and energy: id, time and device come from the payload', () => {
    const [e, ...rest] = events(bleV1, msg({ kind: 'heart_rate', bpm: 72, sensorContact: 'detected', energyExpendedKj: 12, rrMs: [812.5, 830.078] }));
    expect(rest).toEqual([]);
    expect(e).toMatchObject({
      id: base.id,
      userId: CTX.userId,
      deviceId: 'hrm-ana',
      metric: 'heart_rate',
      time: { at: '2026-03-02T11:59:58.000Z' },
      source: { adapter: 'ble.v1', receivedAt: CTX.receivedAt },
      series: { rr: { unit: 'ms', values: [812.5, 830.078] } },
    });
    expect(vals(e)).toEqual({ bpm: 72, energy_expended: 12 });
  });

  it('heart rate without skin contact is not a reading', () => {
    expect(events(bleV1, msg({ kind: 'heart_rate', bpm: 0, sensorContact: 'not_detected', rrMs: [] }))).toEqual([]);
  });

  it('weight with BMI and height', () => {
    const [e] = events(bleV1, msg({ kind: 'weight', kg: 70, bmi: 22.1, heightM: 1.78, displayUnit: 'kg' }, { source: '2a9d' }));
    expect(e?.metric).toBe('body_weight');
    expect(vals(e)).toEqual({ kg: 70, bmi: 22.1, height: 1.78 });
  });

  it('body composition with a weight gives two events with distinct stable ids', () => {
    const out = events(
      bleV1,
      msg({ kind: 'body_composition', bodyFatPercent: 25, basalMetabolismKj: 7000, impedanceOhm: 500, weightKg: 70, softLeanMassKg: 45, displayUnit: 'kg' }),
    );
    expect(out.map((e) => [e.metric, e.id])).toEqual([
      ['body_composition', `${base.id}:body_composition`],
      ['body_weight', `${base.id}:body_weight`],
    ]);
    const bc = vals(out[0]);
    expect(bc.fat_percent).toBe(25);
    expect(bc.impedance).toBe(500);
    expect(bc.basal_metabolism).toBeCloseTo(7000 / 4.184, 6);
    expect(out[0]?.values.basal_metabolism?.unit).toBe('kcal/d');
  });

  it('a Mi body scale weigh-in (weight and impedance only)', () => {
    const out = events(bleV1, msg({ kind: 'body_composition', weightKg: 78, impedanceOhm: 480, displayUnit: 'kg' }, { clockUnset: true }));
    expect(out.map((e) => e.metric)).toEqual(['body_composition', 'body_weight']);
    expect(vals(out[1])).toEqual({ kg: 78 });
  });

  it('blood pressure in kPa becomes mm[Hg]; status bits map to BP_STATUS', () => {
    const [e] = events(
      bleV1,
      msg({
        kind: 'blood_pressure',
        unit: 'kPa',
        systolic: 16,
        diastolic: 10.7,
        pulseBpm: 72,
        status: { bodyMovement: true, cuffTooLoose: false, irregularPulse: true, pulseRateRange: 'below_lower', improperPosition: false },
      }),
    );
    expect(e?.values.systolic?.unit).toBe('mm[Hg]');
    expect(e?.values.systolic?.value).toBeCloseTo(120.01, 2);
    expect(vals(e).status).toBe(1 | 4 | 16);
    expect(vals(e).pulse).toBe(72);
    expect(vals(e)).not.toHaveProperty('mean');
  });

  it('blood pressure whose systolic was NaN is refused with a reason', () => {
    expect(reason(bleV1, msg({ kind: 'blood_pressure', unit: 'mmHg', diastolic: 80 }))).toBe('PH_INGEST_SCHEMA_INVALID');
  });

  it('running, cycling speed/cadence and power', () => {
    expect(vals(events(bleV1, msg({ kind: 'running', speedMps: 3.5, cadenceSpm: 170, strideLengthM: 1.25, totalDistanceM: 10, moving: 'running' }))[0])).toEqual({
      speed: 3.5,
      cadence: 170,
      stride: 1.25,
    });
    expect(vals(events(bleV1, msg({ kind: 'cycling_speed_cadence', wheel: { cumulative: 2, lastEventTime: 1024 }, speedMps: 8.2, cadenceRpm: 88 }))[0])).toEqual({
      speed: 8.2,
      cadence: 88,
    });
    expect(events(bleV1, msg({ kind: 'cycling_speed_cadence', wheel: { cumulative: 2, lastEventTime: 1024 } }))).toEqual([]);
    expect(vals(events(bleV1, msg({ kind: 'cycling_power', powerW: -5, offsetCompensation: false, cadenceRpm: 0 }))[0])).toEqual({ power: 0, cadence: 0 });
  });

  it('FTMS indoor bike: cycling speed, cadence and power (negative watts → 0), and the machine heart rate', () => {
    const out = events(bleV1, msg({ kind: 'indoor_bike', speedMps: 8.5, cadenceRpm: 92.5, powerW: 245, averagePowerW: 200, heartRateBpm: 141, totalEnergyKcal: 80, resistanceLevel: 12 }, { source: '2ad2' }));
    expect(out.map((e) => [e.metric, e.id])).toEqual([
      ['cycling', `${base.id}:cycling`],
      ['heart_rate', `${base.id}:heart_rate`],
    ]);
    expect(vals(out[0])).toEqual({ speed: 8.5, cadence: 92.5, power: 245 });
    expect(vals(out[1])).toEqual({ bpm: 141 });
    expect(vals(events(bleV1, msg({ kind: 'indoor_bike', powerW: -20, heartRateBpm: 0 }))[0])).toEqual({ power: 0 });
    // a record part with nothing of the moment in it stores nothing
    expect(events(bleV1, msg({ kind: 'indoor_bike', averagePowerW: 200 }))).toEqual([]);
  });

  it('FTMS treadmill: belt speed as running; FTMS rower: stroke rate, power and pace as rowing', () => {
    const [run, ...none] = events(bleV1, msg({ kind: 'treadmill', speedMps: 2.777778, inclinationPercent: -1.5, powerW: 180 }, { source: '2acd' }));
    expect(none).toEqual([]);
    expect(run).toMatchObject({ id: base.id, metric: 'running' });
    expect(vals(run)).toEqual({ speed: 2.777778 });
    const [row] = events(bleV1, msg({ kind: 'rower', strokeRateSpm: 24, strokeCount: 321, paceSPer500m: 125, powerW: 210 }, { source: '2ad1' }));
    expect(row).toMatchObject({ metric: 'rowing', values: { stroke_rate: { value: 24, unit: '/min' }, power: { value: 210, unit: 'W' }, pace: { value: 125, unit: 's' } } });
    // pace 0 (not rowing) is no pace at all
    expect(vals(events(bleV1, msg({ kind: 'rower', strokeRateSpm: 0, paceSPer500m: 0 }))[0])).toEqual({ stroke_rate: 0 });
    expect(vals(events(bleV1, msg({ kind: 'rower', strokeRateSpm: 0, paceSPer500m: 65535 }))[0])).toEqual({ stroke_rate: 0 });
  });

  it('battery level becomes a device_battery event for the sensor', () => {
    const [e, ...rest] = events(bleV1, msg({ kind: 'battery', percent: 80 }));
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ metric: 'device_battery', values: { percent: { value: 80, unit: '%' } } });
  });

  it('rejects payloads that do not match the schema', () => {
    expect(reason(bleV1, { ...msg({ kind: 'battery', percent: 80 }), format: 'pulsehub.v1' })).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(bleV1, msg({ kind: 'heart_rate', bpm: 72 }))).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(reason(bleV1, msg({ kind: 'weight', kg: 70, displayUnit: 'kg' }, { measuredAt: 'yesterday' }))).toBe('PH_INGEST_SCHEMA_INVALID');
    expect(BleGatewayPayload.safeParse(msg({ kind: 'battery', percent: 101 })).success).toBe(false);
  });

  it('an impossible value is refused by the catalog, not stored', () => {
    expect(reason(bleV1, msg({ kind: 'weight', kg: 0.1, displayUnit: 'kg' }))).toBe('PH_INGEST_OUT_OF_RANGE');
  });
});
