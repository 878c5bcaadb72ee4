import type { BleReading } from '@pulsehub/contracts';
import { ByteReader, scaled } from './reader.js';
import { DEFAULT_WHEEL_CIRCUMFERENCE_M, WheelCrankRates } from './revolutions.js';

export type CyclingPowerReading = Extract<BleReading, { kind: 'cycling_power' }>;

/**
 * Cycling Power Measurement, UUID 0x2A63 (GATT Specification Supplement, section "Cycling
 * Power Measurement"; Cycling Power Service 1.1). Flags uint16, then Instantaneous Power sint16 (W), then the
 * optional fields in this order:
 *   bit 0  Pedal Power Balance present: uint8, 1/2 %      (bit 1: reference 0 unknown, 1 left)
 *   bit 2  Accumulated Torque present: uint16, 1/32 N·m   (bit 3: source 0 wheel, 1 crank)
 *   bit 4  Wheel Revolution Data: uint32 revolutions + uint16 event time in 1/2048 s
 *   bit 5  Crank Revolution Data: uint16 revolutions + uint16 event time in 1/1024 s
 *   bit 6  Extreme Force Magnitudes: sint16 max, sint16 min (N)
 *   bit 7  Extreme Torque Magnitudes: sint16 max, sint16 min (1/32 N·m)
 *   bit 8  Extreme Angles: uint12 max + uint12 min packed in 3 octets (degrees)
 *   bit 9  Top Dead Spot Angle: uint16 (degrees)
 *   bit 10 Bottom Dead Spot Angle: uint16 (degrees)
 *   bit 11 Accumulated Energy: uint16 (kJ)
 *   bit 12 Offset Compensation Indicator (no field)
 *   bits 13-15 reserved
 * Power is signed: back-pedalling reports negative watts.
 */
export const CYCLING_POWER_MEASUREMENT = '2a63';

const WHAT = 'Cycling Power Measurement 0x2A63';

export function decodeCyclingPower(value: Uint8Array): CyclingPowerReading {
  const r = new ByteReader(value, WHAT);
  const flags = r.u16('flags');
  const reading: CyclingPowerReading = { kind: 'cycling_power', powerW: r.s16('instantaneous power'), offsetCompensation: (flags & 0x1000) !== 0 };
  if (flags & 0x0001) {
    reading.pedalPowerBalancePercent = scaled(r.u8('pedal power balance'), 0.5);
    reading.pedalPowerBalanceReference = flags & 0x0002 ? 'left' : 'unknown';
  }
  if (flags & 0x0004) {
    reading.accumulatedTorqueNm = scaled(r.u16('accumulated torque'), 1 / 32);
    reading.accumulatedTorqueSource = flags & 0x0008 ? 'crank' : 'wheel';
  }
  if (flags & 0x0010) reading.wheel = { cumulative: r.u32('cumulative wheel revolutions'), lastEventTime: r.u16('last wheel event time') };
  if (flags & 0x0020) reading.crank = { cumulative: r.u16('cumulative crank revolutions'), lastEventTime: r.u16('last crank event time') };
  if (flags & 0x0040) {
    reading.maxForceN = r.s16('maximum force magnitude');
    reading.minForceN = r.s16('minimum force magnitude');
  }
  if (flags & 0x0080) {
    reading.maxTorqueNm = scaled(r.s16('maximum torque magnitude'), 1 / 32);
    reading.minTorqueNm = scaled(r.s16('minimum torque magnitude'), 1 / 32);
  }
  if (flags & 0x0100) {
    // two uint12 in three octets: max in the low 12 bits, min in the high 12 bits
    const packed = r.u24('extreme angles');
    reading.maxAngleDeg = packed & 0x0fff;
    reading.minAngleDeg = (packed >> 12) & 0x0fff;
  }
  if (flags & 0x0200) reading.topDeadSpotDeg = r.u16('top dead spot angle');
  if (flags & 0x0400) reading.bottomDeadSpotDeg = r.u16('bottom dead spot angle');
  if (flags & 0x0800) reading.accumulatedEnergyKj = r.u16('accumulated energy');
  r.end((flags & 0xe000) !== 0);
  return reading;
}

/** Stateful per sensor: speed from wheel data (1/2048 s!) and cadence from crank data. */
export class CyclingPowerRates extends WheelCrankRates<CyclingPowerReading> {
  constructor(wheelCircumferenceM = DEFAULT_WHEEL_CIRCUMFERENCE_M) {
    super(2048, wheelCircumferenceM);
  }
}
