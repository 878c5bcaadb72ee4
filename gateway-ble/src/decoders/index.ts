import type { BleReading } from '@pulsehub/contracts';
import { BleGatewayError } from '../errors.js';
import type { BleDateTime } from './date-time.js';
import { BATTERY_LEVEL, decodeBattery } from './battery.js';
import { BLOOD_PRESSURE_MEASUREMENT, decodeBloodPressure } from './blood-pressure.js';
import { BODY_COMPOSITION_MEASUREMENT, decodeBodyComposition } from './body-composition.js';
import { CSC_MEASUREMENT, decodeCsc } from './csc.js';
import { CYCLING_POWER_MEASUREMENT, decodeCyclingPower } from './cycling-power.js';
import { INDOOR_BIKE_DATA, ROWER_DATA, TREADMILL_DATA, decodeIndoorBikeData, decodeRowerData, decodeTreadmillData } from './ftms.js';
import { HEART_RATE_MEASUREMENT, decodeHeartRate } from './heart-rate.js';
import { RSC_MEASUREMENT, decodeRsc } from './rsc.js';
import { WEIGHT_MEASUREMENT, decodeWeight } from './weight.js';

export * from './advertisements.js';
export * from './battery.js';
export * from './blood-pressure.js';
export * from './body-composition.js';
export * from './csc.js';
export * from './cycling-power.js';
export * from './date-time.js';
export * from './ftms.js';
export * from './heart-rate.js';
export * from './mi-scale.js';
export * from './revolutions.js';
export * from './rsc.js';
export * from './sfloat.js';
export * from './weight.js';
export { ByteReader } from './reader.js';

/** What any characteristic decoder yields: the reading, the device's own time stamp if it sent one. */
export interface Decoded {
  readonly reading: BleReading;
  readonly timestamp?: BleDateTime;
  readonly multiplePacket?: boolean;
}

type Decoder = (value: Uint8Array) => Decoded;

const wrap =
  (f: (v: Uint8Array) => BleReading): Decoder =>
  (v) => ({ reading: f(v) });

/** Characteristic UUID (16-bit, lower-case hex) → decoder. */
export const CHARACTERISTIC_DECODERS: Readonly<Record<string, Decoder>> = {
  [HEART_RATE_MEASUREMENT]: wrap(decodeHeartRate),
  [WEIGHT_MEASUREMENT]: decodeWeight,
  [BODY_COMPOSITION_MEASUREMENT]: decodeBodyComposition,
  [BLOOD_PRESSURE_MEASUREMENT]: decodeBloodPressure,
  [RSC_MEASUREMENT]: wrap(decodeRsc),
  [CSC_MEASUREMENT]: wrap(decodeCsc),
  [CYCLING_POWER_MEASUREMENT]: wrap(decodeCyclingPower),
  [INDOOR_BIKE_DATA]: decodeIndoorBikeData,
  [TREADMILL_DATA]: decodeTreadmillData,
  [ROWER_DATA]: decodeRowerData,
  [BATTERY_LEVEL]: wrap(decodeBattery),
};

/** Normalizes `0x2A37`, `2A37` and the 128-bit base form `00002a37-0000-1000-8000-00805f9b34fb` to `2a37`. */
export function shortUuid(uuid: string): string {
  const u = uuid.toLowerCase().replace(/^0x/, '').replace(/-/g, '');
  const m = /^0000([0-9a-f]{4})00001000800000805f9b34fb$/.exec(u);
  return m?.[1] ?? u;
}

export function decodeCharacteristic(uuid: string, value: Uint8Array): Decoded {
  const id = shortUuid(uuid);
  const decoder = CHARACTERISTIC_DECODERS[id];
  if (!decoder) throw new BleGatewayError('PH_BLE_UNSUPPORTED', `no decoder for characteristic ${uuid}`, { details: { uuid } });
  return decoder(value);
}
