import { describe, expect, it } from 'vitest';
import { CscRates, CyclingPowerRates, decodeBattery, decodeCsc, decodeCyclingPower, decodeRsc } from '../src/decoders/index.js';
import { expectCode, hex } from './helpers.js';

// GSS §3.188 RSC Measurement: flags | speed u16 1/256 m/s | cadence u8 | stride u16 0.01 m | distance u32 0.1 m
describe('RSC Measurement 0x2A53', () => {
  it('mandatory fields, walking', () => {
    expect(decodeRsc(hex('00 80 03 AA'))).toEqual({ kind: 'running', speedMps: 3.5, cadenceSpm: 170, moving: 'walking' });
  });
  it('stride (bit 0), distance (bit 1), running (bit 2)', () => {
    expect(decodeRsc(hex('07 80 03 AA 7D 00 39 30 00 00'))).toEqual({
      kind: 'running',
      speedMps: 3.5,
      cadenceSpm: 170,
      strideLengthM: 1.25,
      totalDistanceM: 1234.5,
      moving: 'running',
    });
    expect(decodeRsc(hex('02 80 03 AA 39 30 00 00')).totalDistanceM).toBe(1234.5);
    expect(decodeRsc(hex('01 80 03 AA 7D 00')).strideLengthM).toBe(1.25);
  });
  it('truncated', () => {
    expectCode(() => decodeRsc(hex('00 80 03')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeRsc(hex('03 80 03 AA 7D 00 39 30')), 'PH_BLE_TRUNCATED');
  });
});

// GSS §3.59 CSC Measurement: flags | wheel revs u32 + time u16 | crank revs u16 + time u16 (1/1024 s)
describe('CSC Measurement 0x2A5B', () => {
  it('wheel only, crank only, both', () => {
    expect(decodeCsc(hex('01 E8 03 00 00 00 04'))).toEqual({ kind: 'cycling_speed_cadence', wheel: { cumulative: 1000, lastEventTime: 1024 } });
    expect(decodeCsc(hex('02 32 00 00 04'))).toEqual({ kind: 'cycling_speed_cadence', crank: { cumulative: 50, lastEventTime: 1024 } });
    expect(decodeCsc(hex('03 FF FF FF FF 00 FC 32 00 00 04'))).toEqual({
      kind: 'cycling_speed_cadence',
      wheel: { cumulative: 0xffffffff, lastEventTime: 0xfc00 },
      crank: { cumulative: 50, lastEventTime: 1024 },
    });
  });
  it('no data and truncation are errors', () => {
    expectCode(() => decodeCsc(hex('00')), 'PH_BLE_INCONSISTENT');
    expectCode(() => decodeCsc(hex('01 E8 03 00 00 00')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeCsc(hex('03 E8 03 00 00 00 04 32 00')), 'PH_BLE_TRUNCATED');
  });

  it('speed and cadence across counter and event-time rollover', () => {
    const rates = new CscRates(2.105);
    const first = rates.apply(decodeCsc(hex('03 FF FF FF FF 00 FC FF FF 00 FF')), 0);
    expect(first).not.toHaveProperty('speedMps');
    // wheel: 0xFFFFFFFF → 1 is 2 revs; time 0xFC00 → 0x0400 is 2048 ticks = 2 s → 1 rev/s
    // crank: 0xFFFF → 1 is 2 revs; time 0xFF00 → 0x0300 is 1024 ticks = 1 s → 120 rpm
    const second = rates.apply(decodeCsc(hex('03 01 00 00 00 00 04 01 00 00 03')), 1000);
    expect(second.speedMps).toBe(2.105);
    expect(second.cadenceRpm).toBe(120);
  });

  it('no new event: unknown at first, 0 once stopped for 3 s', () => {
    const rates = new CscRates(2);
    rates.apply(decodeCsc(hex('01 0A 00 00 00 00 04')), 0);
    expect(rates.apply(decodeCsc(hex('01 0B 00 00 00 00 08')), 1000).speedMps).toBe(2);
    expect(rates.apply(decodeCsc(hex('01 0B 00 00 00 00 08')), 2000)).not.toHaveProperty('speedMps');
    expect(rates.apply(decodeCsc(hex('01 0B 00 00 00 00 08')), 4000).speedMps).toBe(0);
  });

  it('a counter reset or a gap longer than the event-time period gives no value, not a wild one', () => {
    const rates = new CscRates(2);
    rates.apply(decodeCsc(hex('01 00 10 00 00 00 04')), 0);
    expect(rates.apply(decodeCsc(hex('01 02 00 00 00 00 08')), 1000)).not.toHaveProperty('speedMps');
    const gap = new CscRates(2);
    gap.apply(decodeCsc(hex('01 0A 00 00 00 00 04')), 0);
    expect(gap.apply(decodeCsc(hex('01 0B 00 00 00 00 08')), 70_000)).not.toHaveProperty('speedMps');
  });
});

// GSS §3.65 Cycling Power Measurement: flags u16 | power s16 | optional fields in flag-bit order
describe('Cycling Power Measurement 0x2A63', () => {
  it('power is signed', () => {
    expect(decodeCyclingPower(hex('00 00 FB FF'))).toEqual({ kind: 'cycling_power', powerW: -5, offsetCompensation: false });
  });

  it('every optional field in flag order', () => {
    const all = '64 40 01 E8 03 00 00 00 08 32 00 00 04 2C 01 CE FF 40 00 E0 FF 5A E0 10 0A 00 BE 00 F4 01';
    expect(decodeCyclingPower(hex(`FF 1F FA 00 ${all}`))).toEqual({
      kind: 'cycling_power',
      powerW: 250,
      pedalPowerBalancePercent: 50,
      pedalPowerBalanceReference: 'left',
      accumulatedTorqueNm: 10,
      accumulatedTorqueSource: 'crank',
      wheel: { cumulative: 1000, lastEventTime: 2048 },
      crank: { cumulative: 50, lastEventTime: 1024 },
      maxForceN: 300,
      minForceN: -50,
      maxTorqueNm: 2,
      minTorqueNm: -1,
      maxAngleDeg: 90,
      minAngleDeg: 270,
      topDeadSpotDeg: 10,
      bottomDeadSpotDeg: 190,
      accumulatedEnergyKj: 500,
      offsetCompensation: true,
    });
  });

  it('each field alone lands right after the power', () => {
    expect(decodeCyclingPower(hex('01 00 FA 00 64'))).toMatchObject({ pedalPowerBalancePercent: 50, pedalPowerBalanceReference: 'unknown' });
    expect(decodeCyclingPower(hex('04 00 FA 00 40 01'))).toMatchObject({ accumulatedTorqueNm: 10, accumulatedTorqueSource: 'wheel' });
    expect(decodeCyclingPower(hex('10 00 FA 00 E8 03 00 00 00 08')).wheel).toEqual({ cumulative: 1000, lastEventTime: 2048 });
    expect(decodeCyclingPower(hex('20 00 FA 00 32 00 00 04')).crank).toEqual({ cumulative: 50, lastEventTime: 1024 });
    expect(decodeCyclingPower(hex('40 00 FA 00 2C 01 CE FF'))).toMatchObject({ maxForceN: 300, minForceN: -50 });
    expect(decodeCyclingPower(hex('80 00 FA 00 40 00 E0 FF'))).toMatchObject({ maxTorqueNm: 2, minTorqueNm: -1 });
    expect(decodeCyclingPower(hex('00 01 FA 00 5A E0 10'))).toMatchObject({ maxAngleDeg: 90, minAngleDeg: 270 });
    expect(decodeCyclingPower(hex('00 02 FA 00 0A 00')).topDeadSpotDeg).toBe(10);
    expect(decodeCyclingPower(hex('00 04 FA 00 BE 00')).bottomDeadSpotDeg).toBe(190);
    expect(decodeCyclingPower(hex('00 08 FA 00 F4 01')).accumulatedEnergyKj).toBe(500);
  });

  it('wheel speed uses 1/2048 s, crank cadence 1/1024 s', () => {
    const rates = new CyclingPowerRates(2.105);
    rates.apply(decodeCyclingPower(hex('30 00 FA 00 E8 03 00 00 00 08 32 00 00 04')), 0);
    const r = rates.apply(decodeCyclingPower(hex('30 00 FA 00 EA 03 00 00 00 10 33 00 00 08')), 1000);
    expect(r.speedMps).toBe(4.21); // 2 revs in 2048 ticks = 1 s
    expect(r.cadenceRpm).toBe(60); // 1 rev in 1024 ticks = 1 s
  });

  it('truncated', () => {
    expectCode(() => decodeCyclingPower(hex('00 00 FA')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeCyclingPower(hex('00 01 FA 00 5A E0')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeCyclingPower(hex('FF 1F FA 00 64')), 'PH_BLE_TRUNCATED');
  });
});

describe('Battery Level 0x2A19', () => {
  it('percent, reserved above 100', () => {
    expect(decodeBattery(hex('64'))).toEqual({ kind: 'battery', percent: 100 });
    expect(decodeBattery(hex('00'))).toEqual({ kind: 'battery', percent: 0 });
    expectCode(() => decodeBattery(hex('65')), 'PH_BLE_INCONSISTENT');
    expectCode(() => decodeBattery(hex('')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeBattery(hex('50 00')), 'PH_BLE_INCONSISTENT');
  });
});
