import type { BleReading } from '@pulsehub/contracts';
import { ByteReader, inconsistent } from './reader.js';

export type BatteryReading = Extract<BleReading, { kind: 'battery' }>;

/** Battery Level, UUID 0x2A19 (GATT Specification Supplement, section "Battery Level"; Battery Service 1.0): uint8 percent, 0..100; 101..255 reserved. */
export const BATTERY_LEVEL = '2a19';

const WHAT = 'Battery Level 0x2A19';

export function decodeBattery(value: Uint8Array): BatteryReading {
  const r = new ByteReader(value, WHAT);
  const percent = r.u8('battery level');
  if (percent > 100) throw inconsistent(WHAT, `battery level ${percent} is reserved (0..100 allowed)`, { percent });
  r.end();
  return { kind: 'battery', percent };
}
