import type { BleReading } from '@pulsehub/contracts';
import { ByteReader, scaled } from './reader.js';

export type RunningReading = Extract<BleReading, { kind: 'running' }>;

/**
 * RSC Measurement, UUID 0x2A53 (GATT Specification Supplement, section "RSC
 * Measurement"; Running Speed and Cadence Service 1.0). Flags uint8:
 *   bit 0  Instantaneous Stride Length present (uint16, 0.01 m)
 *   bit 1  Total Distance present (uint32, 0.1 m)
 *   bit 2  Walking or Running Status: 0 = walking, 1 = running
 *   bits 3-7 reserved
 * Instantaneous Speed (uint16, 1/256 m/s) and Instantaneous Cadence (uint8, 1/min) are
 * mandatory and follow the flags.
 */
export const RSC_MEASUREMENT = '2a53';

const WHAT = 'RSC Measurement 0x2A53';

export function decodeRsc(value: Uint8Array): RunningReading {
  const r = new ByteReader(value, WHAT);
  const flags = r.u8('flags');
  const reading: RunningReading = {
    kind: 'running',
    speedMps: scaled(r.u16('instantaneous speed'), 1 / 256),
    cadenceSpm: r.u8('instantaneous cadence'),
    moving: flags & 0x04 ? 'running' : 'walking',
  };
  if (flags & 0x01) reading.strideLengthM = scaled(r.u16('instantaneous stride length'), 0.01);
  if (flags & 0x02) reading.totalDistanceM = scaled(r.u32('total distance'), 0.1);
  r.end((flags & 0xf8) !== 0);
  return reading;
}
