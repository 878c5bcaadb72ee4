import type { BleReading } from '@pulsehub/contracts';
import { BleGatewayError } from '../errors.js';
import { readDateTime, type BleDateTime } from './date-time.js';
import { ByteReader, scaled } from './reader.js';
import { KG_PER_LB, M_PER_INCH } from './units.js';

export type WeightReading = Extract<BleReading, { kind: 'weight' }>;

export interface DecodedWeight {
  readonly reading: WeightReading;
  readonly timestamp?: BleDateTime;
}

/**
 * Weight Measurement, UUID 0x2A9D (GATT Specification Supplement, section "Weight Measurement";
 * Weight Scale Service 1.0). Flags uint8:
 *   bit 0  Measurement Units: 0 = SI (weight 0.005 kg, height 0.001 m),
 *                             1 = Imperial (weight 0.01 lb, height 0.1 in)
 *   bit 1  Time Stamp present (Date Time, 7 octets)
 *   bit 2  User ID present (uint8, 0xFF = unknown user)
 *   bit 3  BMI and Height present (BMI uint16 0.1 kg/m², Height uint16)
 *   bits 4-7 reserved
 * Weight uint16 follows the flags; 0xFFFF means "Measurement Unsuccessful".
 */
export const WEIGHT_MEASUREMENT = '2a9d';

const WHAT = 'Weight Measurement 0x2A9D';

export function decodeWeight(value: Uint8Array): DecodedWeight {
  const r = new ByteReader(value, WHAT);
  const flags = r.u8('flags');
  const imperial = (flags & 0x01) !== 0;
  const rawWeight = r.u16('weight');
  if (rawWeight === 0xffff) throw new BleGatewayError('PH_BLE_MEASUREMENT_UNSUCCESSFUL', `${WHAT}: weight is 0xFFFF (measurement unsuccessful)`);
  const reading: WeightReading = {
    kind: 'weight',
    kg: imperial ? scaled(rawWeight * 0.01, KG_PER_LB) : scaled(rawWeight, 0.005),
    displayUnit: imperial ? 'lb' : 'kg',
  };
  let timestamp: BleDateTime | undefined;
  if (flags & 0x02) timestamp = readDateTime(r);
  if (flags & 0x04) {
    const user = r.u8('user ID');
    if (user !== 0xff) reading.userIndex = user;
  }
  if (flags & 0x08) {
    reading.bmi = scaled(r.u16('BMI'), 0.1);
    const rawHeight = r.u16('height');
    reading.heightM = imperial ? scaled(rawHeight * 0.1, M_PER_INCH) : scaled(rawHeight, 0.001);
  }
  r.end((flags & 0xf0) !== 0);
  return timestamp === undefined ? { reading } : { reading, timestamp };
}
