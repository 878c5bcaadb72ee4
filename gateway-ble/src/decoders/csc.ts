import type { BleReading } from '@pulsehub/contracts';
import { ByteReader, inconsistent } from './reader.js';
import { DEFAULT_WHEEL_CIRCUMFERENCE_M, WheelCrankRates } from './revolutions.js';

export type CscReading = Extract<BleReading, { kind: 'cycling_speed_cadence' }>;

/**
 * CSC Measurement, UUID 0x2A5B (GATT Specification Supplement, section "CSC
 * Measurement"; Cycling Speed and Cadence Service 1.0). Flags uint8:
 *   bit 0  Wheel Revolution Data present: Cumulative Wheel Revolutions uint32,
 *          Last Wheel Event Time uint16 (1/1024 s)
 *   bit 1  Crank Revolution Data present: Cumulative Crank Revolutions uint16,
 *          Last Crank Event Time uint16 (1/1024 s)
 *   bits 2-7 reserved
 * The decoder returns the raw counters; `CscRates` derives speed and cadence.
 */
export const CSC_MEASUREMENT = '2a5b';

const WHAT = 'CSC Measurement 0x2A5B';

export function decodeCsc(value: Uint8Array): CscReading {
  const r = new ByteReader(value, WHAT);
  const flags = r.u8('flags');
  const reading: CscReading = { kind: 'cycling_speed_cadence' };
  if (flags & 0x01) reading.wheel = { cumulative: r.u32('cumulative wheel revolutions'), lastEventTime: r.u16('last wheel event time') };
  if (flags & 0x02) reading.crank = { cumulative: r.u16('cumulative crank revolutions'), lastEventTime: r.u16('last crank event time') };
  if (!(flags & 0x03)) throw inconsistent(WHAT, 'neither wheel nor crank revolution data is present', { flags });
  r.end((flags & 0xfc) !== 0);
  return reading;
}

export { DEFAULT_WHEEL_CIRCUMFERENCE_M };

/** Stateful per sensor: adds speed (m/s) and cadence (rpm) to successive CSC readings. */
export class CscRates extends WheelCrankRates<CscReading> {
  constructor(wheelCircumferenceM = DEFAULT_WHEEL_CIRCUMFERENCE_M) {
    super(1024, wheelCircumferenceM);
  }
}
