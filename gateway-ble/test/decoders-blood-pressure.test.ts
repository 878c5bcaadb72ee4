import { describe, expect, it } from 'vitest';
import { decodeBloodPressure, decodeSfloat } from '../src/decoders/index.js';
import { expectCode, hex } from './helpers.js';

// IEEE 11073-20601 SFLOAT, GSS §2.3: exponent high nibble, 12-bit mantissa
describe('SFLOAT', () => {
  it('special values are absent', () => {
    expect(decodeSfloat(0x07ff)).toEqual({ value: undefined, special: 'nan' });
    expect(decodeSfloat(0x0800)).toEqual({ value: undefined, special: 'nres' });
    expect(decodeSfloat(0x07fe)).toEqual({ value: undefined, special: '+inf' });
    expect(decodeSfloat(0x0802)).toEqual({ value: undefined, special: '-inf' });
    expect(decodeSfloat(0x0801)).toEqual({ value: undefined, special: 'reserved' });
    // the reserved mantissas under a non-zero exponent are not numbers either
    expect(decodeSfloat(0x17ff).value).toBeUndefined();
  });

  it('signed exponent and mantissa', () => {
    expect(decodeSfloat(0x0078).value).toBe(120);
    expect(decodeSfloat(0xf07b).value).toBe(12.3);
    expect(decodeSfloat(0x0fff).value).toBe(-1);
    expect(decodeSfloat(0xffff).value).toBe(-0.1);
    expect(decodeSfloat(0x2001).value).toBe(100);
    expect(decodeSfloat(0x8001).value).toBe(1e-8);
    expect(decodeSfloat(0x07fd).value).toBe(2045);
    expect(decodeSfloat(0x0803).value).toBe(-2045);
  });
});

const TS = 'E9 07 0B 16 0A 00 00';

// GSS §3.31 Blood Pressure Measurement: flags | sys | dia | MAP (SFLOAT) | time stamp | pulse (SFLOAT) | user id | status u16
describe('Blood Pressure Measurement 0x2A35', () => {
  it('mmHg, mandatory fields only', () => {
    expect(decodeBloodPressure(hex('00 78 00 50 00 5D 00'))).toEqual({
      reading: { kind: 'blood_pressure', unit: 'mmHg', systolic: 120, diastolic: 80, meanArterial: 93 },
    });
  });

  it('kPa (bit 0) with negative exponents; NaN MAP is absent', () => {
    expect(decodeBloodPressure(hex('01 A0 F0 6B F0 FF 07')).reading).toEqual({ kind: 'blood_pressure', unit: 'kPa', systolic: 16, diastolic: 10.7 });
  });

  it('every special value leaves its field absent', () => {
    for (const s of ['FF 07', '00 08', 'FE 07', '02 08', '01 08']) {
      const { reading } = decodeBloodPressure(hex(`00 ${s} 50 00 5D 00`));
      expect(reading).not.toHaveProperty('systolic');
      expect(reading.diastolic).toBe(80);
    }
  });

  it('time stamp (bit 1)', () => {
    expect(decodeBloodPressure(hex(`02 78 00 50 00 5D 00 ${TS}`)).timestamp).toMatchObject({ year: 2025, month: 11, day: 22 });
  });

  it('pulse (bit 2), user (bit 3), status (bit 4) each alone', () => {
    expect(decodeBloodPressure(hex('04 78 00 50 00 5D 00 48 00')).reading.pulseBpm).toBe(72);
    expect(decodeBloodPressure(hex('04 78 00 50 00 5D 00 FF 07')).reading).not.toHaveProperty('pulseBpm');
    expect(decodeBloodPressure(hex('08 78 00 50 00 5D 00 05')).reading.userIndex).toBe(5);
    expect(decodeBloodPressure(hex('08 78 00 50 00 5D 00 FF')).reading).not.toHaveProperty('userIndex');
    expect(decodeBloodPressure(hex('10 78 00 50 00 5D 00 25 00')).reading.status).toEqual({
      bodyMovement: true,
      cuffTooLoose: false,
      irregularPulse: true,
      pulseRateRange: 'within',
      improperPosition: true,
    });
  });

  it('pulse rate range bits 3-4; 3 is reserved and omitted', () => {
    const range = (s: string) => decodeBloodPressure(hex(`10 78 00 50 00 5D 00 ${s}`)).reading.status?.pulseRateRange;
    expect(range('08 00')).toBe('above_upper');
    expect(range('10 00')).toBe('below_lower');
    expect(range('18 00')).toBeUndefined();
    expect(decodeBloodPressure(hex('10 78 00 50 00 5D 00 02 00')).reading.status?.cuffTooLoose).toBe(true);
  });

  it('all flags: fields in order', () => {
    const d = decodeBloodPressure(hex(`1F A0 F0 6B F0 7C F0 ${TS} 48 00 02 01 00`));
    expect(d.reading).toEqual({
      kind: 'blood_pressure',
      unit: 'kPa',
      systolic: 16,
      diastolic: 10.7,
      meanArterial: 12.4,
      pulseBpm: 72,
      userIndex: 2,
      status: { bodyMovement: true, cuffTooLoose: false, irregularPulse: false, pulseRateRange: 'within', improperPosition: false },
    });
    expect(d.timestamp?.year).toBe(2025);
  });

  it('truncated and trailing', () => {
    expectCode(() => decodeBloodPressure(hex('00 78 00 50 00 5D')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeBloodPressure(hex('1E 78 00 50 00 5D 00')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeBloodPressure(hex('10 78 00 50 00 5D 00 25')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeBloodPressure(hex('00 78 00 50 00 5D 00 00')), 'PH_BLE_INCONSISTENT');
  });
});
