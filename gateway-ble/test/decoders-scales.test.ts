import { describe, expect, it } from 'vitest';
import {
  decodeBodyComposition,
  decodeMiBodyScale,
  decodeMiScale,
  decodeWeight,
  isClockUnset,
  mergeBodyComposition,
  toInstant,
} from '../src/decoders/index.js';
import { expectCode, hex } from './helpers.js';

const TS = 'E9 07 0B 16 0A 00 00'; // Date Time 2025-11-22 10:00:00 (GSS §3.70)
const TS_PARSED = { year: 2025, month: 11, day: 22, hours: 10, minutes: 0, seconds: 0 };

// GSS §3.252 Weight Measurement: flags | weight u16 | time stamp | user id | BMI u16 + height u16
describe('Weight Measurement 0x2A9D', () => {
  it('SI: 0.005 kg resolution', () => {
    expect(decodeWeight(hex('00 B0 36'))).toEqual({ reading: { kind: 'weight', kg: 70, displayUnit: 'kg' } });
    expect(decodeWeight(hex('00 01 00')).reading.kg).toBe(0.005);
  });

  it('imperial: 0.01 lb resolution, converted to kg', () => {
    const { reading } = decodeWeight(hex('01 48 3C'));
    expect(reading.displayUnit).toBe('lb');
    expect(reading.kg).toBeCloseTo(154.32 * 0.45359237, 6);
  });

  it('time stamp (bit 1)', () => {
    expect(decodeWeight(hex(`02 B0 36 ${TS}`)).timestamp).toEqual(TS_PARSED);
  });

  it('user id (bit 2); 0xFF = unknown user is omitted', () => {
    expect(decodeWeight(hex('04 B0 36 03')).reading.userIndex).toBe(3);
    expect(decodeWeight(hex('04 B0 36 FF')).reading).not.toHaveProperty('userIndex');
  });

  it('BMI and height (bit 3): SI height 0.001 m, imperial 0.1 in', () => {
    expect(decodeWeight(hex('08 B0 36 DD 00 F4 06')).reading).toMatchObject({ bmi: 22.1, heightM: 1.78 });
    expect(decodeWeight(hex('09 48 3C DD 00 BC 02')).reading.heightM).toBeCloseTo(70 * 0.0254, 6);
  });

  it('all fields (0x0F) in order', () => {
    const d = decodeWeight(hex(`0F 48 3C ${TS} 02 DD 00 BC 02`));
    expect(d.timestamp).toEqual(TS_PARSED);
    expect(d.reading).toMatchObject({ userIndex: 2, bmi: 22.1, displayUnit: 'lb' });
  });

  it('0xFFFF is "measurement unsuccessful", not 327.675 kg', () => {
    expectCode(() => decodeWeight(hex('00 FF FF')), 'PH_BLE_MEASUREMENT_UNSUCCESSFUL');
  });

  it('truncated and trailing', () => {
    expectCode(() => decodeWeight(hex('00 B0')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeWeight(hex('02 B0 36 E9 07 0B 16 0A')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeWeight(hex('08 B0 36 DD 00')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeWeight(hex('00 B0 36 00')), 'PH_BLE_INCONSISTENT');
  });
});

// GSS §3.34 Body Composition Measurement: flags u16 | body fat u16 | optional fields in flag-bit order
describe('Body Composition Measurement 0x2A9C', () => {
  it('only the mandatory body fat percentage (0.1 %)', () => {
    expect(decodeBodyComposition(hex('00 00 FA 00'))).toEqual({
      reading: { kind: 'body_composition', bodyFatPercent: 25, displayUnit: 'kg' },
      multiplePacket: false,
    });
  });

  it('every optional field, SI', () => {
    const d = decodeBodyComposition(hex(`FE 0F FA 00 ${TS} 01 58 1B 90 01 70 17 04 29 28 23 58 1B 88 13 B0 36 F4 06`));
    expect(d.timestamp).toEqual(TS_PARSED);
    expect(d.reading).toEqual({
      kind: 'body_composition',
      bodyFatPercent: 25,
      userIndex: 1,
      basalMetabolismKj: 7000,
      musclePercent: 40,
      muscleMassKg: 30,
      fatFreeMassKg: 52.5,
      softLeanMassKg: 45,
      bodyWaterMassKg: 35,
      impedanceOhm: 500,
      weightKg: 70,
      heightM: 1.78,
      displayUnit: 'kg',
    });
  });

  it('each optional field alone lands at offset 4 (flag order decides the layout)', () => {
    const single: [number, string, number][] = [
      [0x0008, 'basalMetabolismKj', 7000],
      [0x0010, 'musclePercent', 700],
      [0x0020, 'muscleMassKg', 35],
      [0x0040, 'fatFreeMassKg', 35],
      [0x0080, 'softLeanMassKg', 35],
      [0x0100, 'bodyWaterMassKg', 35],
      [0x0200, 'impedanceOhm', 700],
      [0x0400, 'weightKg', 35],
      [0x0800, 'heightM', 7],
    ];
    for (const [flag, field, expected] of single) {
      const bytes = Uint8Array.from([flag & 0xff, flag >> 8, 0xfa, 0x00, 0x58, 0x1b]);
      if (field === 'musclePercent') {
        expectCode(() => decodeBodyComposition(bytes), 'PH_BLE_INCONSISTENT'); // 700 % is impossible
        continue;
      }
      expect(decodeBodyComposition(bytes).reading, field).toMatchObject({ [field]: expected });
    }
  });

  it('imperial masses in 0.01 lb, height in 0.1 in', () => {
    const { reading } = decodeBodyComposition(hex('01 0C FA 00 48 3C BC 02'));
    expect(reading.weightKg).toBeCloseTo(154.32 * 0.45359237, 6);
    expect(reading.heightM).toBeCloseTo(1.778, 6);
    expect(reading.displayUnit).toBe('lb');
  });

  it('multiple packet measurement (bit 12) and merging the packets', () => {
    const first = decodeBodyComposition(hex('00 12 FA 00 88 13'));
    expect(first.multiplePacket).toBe(true);
    const second = decodeBodyComposition(hex('00 04 FA 00 B0 36'));
    const merged = mergeBodyComposition(first, second);
    expect(merged.multiplePacket).toBe(false);
    expect(merged.reading).toMatchObject({ bodyFatPercent: 25, impedanceOhm: 500, weightKg: 70 });
    expectCode(() => mergeBodyComposition(first, decodeBodyComposition(hex('00 00 FB 00'))), 'PH_BLE_INCONSISTENT');
  });

  it('unsuccessful, truncated, impossible', () => {
    expectCode(() => decodeBodyComposition(hex('00 00 FF FF')), 'PH_BLE_MEASUREMENT_UNSUCCESSFUL');
    expectCode(() => decodeBodyComposition(hex('00 04 FA 00')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeBodyComposition(hex('00')), 'PH_BLE_TRUNCATED');
    // a Xiaomi scale's vendor frame on the standard UUID: flags 0xA402 would read body fat 197 %
    expectCode(() => decodeBodyComposition(Uint8Array.from([2, 164, 178, 7, 1, 1, 2, 58, 56, 253, 255, 240, 60])), 'PH_BLE_INCONSISTENT');
  });
});

describe('Xiaomi scale advertisements', () => {
  it('Mi Scale 0x181D: stabilized, kg (raw / 200), time stamp', () => {
    const m = decodeMiScale(hex(`22 B0 36 ${TS}`));
    expect(m).toEqual({ stabilized: true, removed: false, timestamp: TS_PARSED, reading: { kind: 'weight', kg: 70, displayUnit: 'kg' } });
    expect(decodeMiScale(hex(`A2 B0 36 ${TS}`))).toMatchObject({ stabilized: true, removed: true });
    expect(decodeMiScale(hex(`02 B0 36 ${TS}`))).toMatchObject({ stabilized: false, removed: false });
  });

  it('Mi Scale units: lb (bit 0) and catty (bit 4) in 0.01', () => {
    expect(decodeMiScale(hex(`23 48 3C ${TS}`)).reading).toMatchObject({ displayUnit: 'lb', kg: Math.round(154.32 * 0.45359237 * 1e6) / 1e6 });
    expect(decodeMiScale(hex(`32 B0 36 ${TS}`)).reading).toMatchObject({ displayUnit: 'catty', kg: 70 });
    expect(decodeMiScale(hex(`B3 48 3C ${TS}`)).reading.displayUnit).toBe('lb');
  });

  it('Mi Body Composition Scale 0x181B: impedance only with its bit, weight last', () => {
    const m = decodeMiBodyScale(hex(`02 26 ${TS} F4 01 B0 36`));
    expect(m).toEqual({
      stabilized: true,
      removed: false,
      timestamp: TS_PARSED,
      reading: { kind: 'body_composition', weightKg: 70, impedanceOhm: 500, displayUnit: 'kg' },
    });
    expect(decodeMiBodyScale(hex(`02 24 ${TS} F4 01 B0 36`)).reading).not.toHaveProperty('impedanceOhm');
    expect(decodeMiBodyScale(hex(`02 26 ${TS} FE FF B0 36`)).reading).not.toHaveProperty('impedanceOhm');
  });

  it('a frame with its clock at 1970 and the weight-removed bit', () => {
    const m = decodeMiBodyScale(Uint8Array.from([2, 164, 178, 7, 1, 1, 2, 58, 56, 253, 255, 240, 60]));
    expect(m).toMatchObject({ stabilized: true, removed: true, reading: { weightKg: 78 } });
    expect(m.timestamp.year).toBe(1970);
    expect(isClockUnset(m.timestamp)).toBe(true);
    expect(toInstant(m.timestamp, 'utc')).toBeUndefined();
  });

  it('truncated frames', () => {
    expectCode(() => decodeMiScale(hex('22 B0 36 E9 07 0B 16 0A 00')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeMiBodyScale(hex(`02 26 ${TS} F4 01 B0`)), 'PH_BLE_TRUNCATED');
  });
});

describe('Date Time', () => {
  it('unset clocks: year 0, 1970, 2000, month 0', () => {
    for (const year of [0, 1970, 2000]) expect(isClockUnset({ ...TS_PARSED, year })).toBe(true);
    expect(isClockUnset({ ...TS_PARSED, month: 0 })).toBe(true);
    expect(isClockUnset(TS_PARSED)).toBe(false);
  });

  it('instants: UTC or gateway-local wall clock; impossible dates are no instant', () => {
    expect(toInstant(TS_PARSED, 'utc')?.toISOString()).toBe('2025-11-22T10:00:00.000Z');
    expect(toInstant(TS_PARSED, 'local')?.getHours()).toBe(10);
    expect(toInstant({ ...TS_PARSED, month: 2, day: 31 }, 'utc')).toBeUndefined();
  });
});
