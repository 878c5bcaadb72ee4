import { describe, expect, it } from 'vitest';
import { decodeCharacteristic, decodeHeartRate } from '../src/decoders/index.js';
import { expectCode, hex } from './helpers.js';

// GSS §3.113 Heart Rate Measurement: flags | HR (u8/u16) | energy (u16 kJ) | RR (u16 1/1024 s)*
describe('Heart Rate Measurement 0x2A37', () => {
  it('uint8 value, contact not supported', () => {
    expect(decodeHeartRate(hex('00 48'))).toEqual({ kind: 'heart_rate', bpm: 72, sensorContact: 'unsupported', rrMs: [] });
  });

  it('uint16 value (bit 0) takes two octets', () => {
    expect(decodeHeartRate(hex('01 2C 01')).bpm).toBe(300);
    expect(decodeHeartRate(hex('01 48 00')).bpm).toBe(72);
  });

  it('sensor contact: bit 2 supported, bit 1 detected', () => {
    expect(decodeHeartRate(hex('06 48')).sensorContact).toBe('detected');
    expect(decodeHeartRate(hex('04 48')).sensorContact).toBe('not_detected');
    expect(decodeHeartRate(hex('02 48')).sensorContact).toBe('unsupported');
  });

  it('energy expended (bit 3), uint16 kJ', () => {
    expect(decodeHeartRate(hex('08 48 10 27'))).toMatchObject({ bpm: 72, energyExpendedKj: 10000 });
  });

  it('RR intervals (bit 4) in 1/1024 s become ms, all of them, oldest first', () => {
    expect(decodeHeartRate(hex('10 48 00 04')).rrMs).toEqual([1000]);
    expect(decodeHeartRate(hex('10 48 00 04 00 02 33 03')).rrMs).toEqual([1000, 500, 799.805]);
  });

  it('every optional field with a uint16 value: fields shift in flag order', () => {
    expect(decodeHeartRate(hex('1F 48 00 10 27 00 04 00 08'))).toEqual({
      kind: 'heart_rate',
      bpm: 72,
      sensorContact: 'detected',
      energyExpendedKj: 10000,
      rrMs: [1000, 2000],
    });
    // the same bytes read with a uint8 value would be different: the flag decides the layout
    expect(decodeHeartRate(hex('1E 48 10 27 00 04')).rrMs).toEqual([1000]);
  });

  it('truncated buffers are typed errors', () => {
    expectCode(() => decodeHeartRate(hex('')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeHeartRate(hex('00')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeHeartRate(hex('01 48')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeHeartRate(hex('08 48 10')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeHeartRate(hex('10 48')), 'PH_BLE_TRUNCATED');
  });

  it('inconsistent buffers are typed errors', () => {
    expectCode(() => decodeHeartRate(hex('10 48 00 04 00')), 'PH_BLE_INCONSISTENT');
    expectCode(() => decodeHeartRate(hex('00 48 00')), 'PH_BLE_INCONSISTENT');
  });

  it('reserved flag bits: trailing octets belong to a later spec and are ignored', () => {
    expect(decodeHeartRate(hex('20 48 99')).bpm).toBe(72);
  });

  it('dispatches by short or 128-bit UUID', () => {
    expect(decodeCharacteristic('00002a37-0000-1000-8000-00805f9b34fb', hex('00 48')).reading).toMatchObject({ bpm: 72 });
    expect(decodeCharacteristic('2A37', hex('00 48')).reading).toMatchObject({ bpm: 72 });
    expectCode(() => decodeCharacteristic('2aff', hex('00')), 'PH_BLE_UNSUPPORTED');
  });
});
