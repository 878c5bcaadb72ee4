import type { BleReading } from '@pulsehub/contracts';
import { ByteReader, inconsistent, scaled } from './reader.js';

export type HeartRateReading = Extract<BleReading, { kind: 'heart_rate' }>;

/**
 * Heart Rate Measurement, UUID 0x2A37 (GATT Specification Supplement v8 §3.113; Heart
 * Rate Service 1.0). Flags uint8:
 *   bit 0    Heart Rate Value Format: 0 = uint8, 1 = uint16 (bpm)
 *   bits 1-2 Sensor Contact Status: bit 2 = feature supported, bit 1 = contact detected
 *   bit 3    Energy Expended present: uint16, kJ
 *   bit 4    RR-Interval present: one or more uint16, resolution 1/1024 s, oldest first
 *   bits 5-7 reserved
 */
export const HEART_RATE_MEASUREMENT = '2a37';

const WHAT = 'Heart Rate Measurement 0x2A37';

export function decodeHeartRate(value: Uint8Array): HeartRateReading {
  const r = new ByteReader(value, WHAT);
  const flags = r.u8('flags');
  const bpm = flags & 0x01 ? r.u16('heart rate (uint16)') : r.u8('heart rate (uint8)');
  const sensorContact: HeartRateReading['sensorContact'] = !(flags & 0x04) ? 'unsupported' : flags & 0x02 ? 'detected' : 'not_detected';
  const reading: HeartRateReading = { kind: 'heart_rate', bpm, sensorContact, rrMs: [] };
  if (flags & 0x08) reading.energyExpendedKj = r.u16('energy expended');
  if (flags & 0x10) {
    // RR intervals fill the rest of the value, two octets each; at least one when the flag is set
    if (r.remaining < 2) r.u16('RR-interval');
    if (r.remaining % 2 !== 0 && !(flags & 0xe0)) {
      throw inconsistent(WHAT, `RR-interval data has an odd length (${r.remaining} bytes)`, { length: value.length });
    }
    while (r.remaining >= 2) reading.rrMs.push(scaled(r.u16('RR-interval'), 1000 / 1024, 3));
  }
  r.end((flags & 0xe0) !== 0);
  return reading;
}
