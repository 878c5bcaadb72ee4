import type { BleReading } from '@pulsehub/contracts';
import { readDateTime, type BleDateTime } from './date-time.js';
import { ByteReader } from './reader.js';
import { decodeSfloat } from './sfloat.js';

export type BloodPressureReading = Extract<BleReading, { kind: 'blood_pressure' }>;

export interface DecodedBloodPressure {
  readonly reading: BloodPressureReading;
  readonly timestamp?: BleDateTime;
}

/**
 * Blood Pressure Measurement, UUID 0x2A35 (GATT Specification Supplement v8 §3.31; Blood
 * Pressure Service 1.0). Flags uint8:
 *   bit 0  Units: 0 = mmHg, 1 = kPa
 *   bit 1  Time Stamp present (Date Time, 7 octets)
 *   bit 2  Pulse Rate present (SFLOAT, beats/min)
 *   bit 3  User ID present (uint8, 0xFF = unknown user)
 *   bit 4  Measurement Status present (uint16)
 *   bits 5-7 reserved
 * Systolic, Diastolic and Mean Arterial Pressure are three mandatory SFLOATs after the flags.
 * Measurement Status: bit 0 body movement, bit 1 cuff too loose, bit 2 irregular pulse,
 * bits 3-4 pulse rate range (0 within, 1 exceeds upper limit, 2 below lower limit,
 * 3 reserved), bit 5 improper measurement position, bits 6-15 reserved.
 * An SFLOAT special value (NaN, NRes, ±INF, reserved) leaves the field absent.
 */
export const BLOOD_PRESSURE_MEASUREMENT = '2a35';

const WHAT = 'Blood Pressure Measurement 0x2A35';
const PULSE_RANGE = ['within', 'above_upper', 'below_lower', undefined] as const;

export function decodeBloodPressure(value: Uint8Array): DecodedBloodPressure {
  const r = new ByteReader(value, WHAT);
  const flags = r.u8('flags');
  const reading: BloodPressureReading = { kind: 'blood_pressure', unit: flags & 0x01 ? 'kPa' : 'mmHg' };
  const systolic = decodeSfloat(r.u16('systolic')).value;
  const diastolic = decodeSfloat(r.u16('diastolic')).value;
  const meanArterial = decodeSfloat(r.u16('mean arterial pressure')).value;
  if (systolic !== undefined) reading.systolic = systolic;
  if (diastolic !== undefined) reading.diastolic = diastolic;
  if (meanArterial !== undefined) reading.meanArterial = meanArterial;
  let timestamp: BleDateTime | undefined;
  if (flags & 0x02) timestamp = readDateTime(r);
  if (flags & 0x04) {
    const pulse = decodeSfloat(r.u16('pulse rate')).value;
    // a negative pulse is not a special value but is no pulse either
    if (pulse !== undefined && pulse >= 0) reading.pulseBpm = pulse;
  }
  if (flags & 0x08) {
    const user = r.u8('user ID');
    if (user !== 0xff) reading.userIndex = user;
  }
  if (flags & 0x10) {
    const s = r.u16('measurement status');
    const range = PULSE_RANGE[(s >> 3) & 0x03];
    reading.status = {
      bodyMovement: (s & 0x01) !== 0,
      cuffTooLoose: (s & 0x02) !== 0,
      irregularPulse: (s & 0x04) !== 0,
      improperPosition: (s & 0x20) !== 0,
      ...(range === undefined ? {} : { pulseRateRange: range }),
    };
  }
  r.end((flags & 0xe0) !== 0);
  return timestamp === undefined ? { reading } : { reading, timestamp };
}
