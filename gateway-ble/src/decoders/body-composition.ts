import type { BleReading } from '@pulsehub/contracts';
import { BleGatewayError } from '../errors.js';
import { readDateTime, type BleDateTime } from './date-time.js';
import { ByteReader, inconsistent, scaled } from './reader.js';
import { KG_PER_LB, M_PER_INCH } from './units.js';

export type BodyCompositionReading = Extract<BleReading, { kind: 'body_composition' }>;

export interface DecodedBodyComposition {
  readonly reading: BodyCompositionReading;
  readonly timestamp?: BleDateTime;
  /** Flags bit 12: this measurement is split over several notifications/indications. */
  readonly multiplePacket: boolean;
}

/**
 * Body Composition Measurement, UUID 0x2A9C (GATT Specification Supplement v8 §3.34; Body
 * Composition Service 1.0 §3.2). Flags uint16:
 *   bit 0  Measurement Units: 0 = SI (mass 0.005 kg, height 0.001 m), 1 = Imperial (0.01 lb, 0.1 in)
 *   bit 1  Time Stamp present        bit 7  Soft Lean Mass present
 *   bit 2  User ID present           bit 8  Body Water Mass present
 *   bit 3  Basal Metabolism present  bit 9  Impedance present (uint16, 0.1 Ω)
 *   bit 4  Muscle Percentage present bit 10 Weight present
 *   bit 5  Muscle Mass present       bit 11 Height present
 *   bit 6  Fat Free Mass present     bit 12 Multiple Packet Measurement
 *   bits 13-15 reserved
 * Body Fat Percentage (uint16, 0.1 %) is mandatory and follows the flags; 0xFFFF means
 * "Measurement Unsuccessful". The optional fields follow in flag-bit order. Basal metabolism
 * is uint16 kJ; muscle percentage uint16 0.1 %; every mass field uses the weight resolution.
 * In a multiple-packet measurement the optional fields are spread over the packets; each
 * packet repeats the flags (for its own fields) and the body fat field.
 */
export const BODY_COMPOSITION_MEASUREMENT = '2a9c';

const WHAT = 'Body Composition Measurement 0x2A9C';

export function decodeBodyComposition(value: Uint8Array): DecodedBodyComposition {
  const r = new ByteReader(value, WHAT);
  const flags = r.u16('flags');
  const imperial = (flags & 0x0001) !== 0;
  const mass = (raw: number): number => (imperial ? scaled(raw * 0.01, KG_PER_LB) : scaled(raw, 0.005));
  const rawFat = r.u16('body fat percentage');
  if (rawFat === 0xffff) {
    throw new BleGatewayError('PH_BLE_MEASUREMENT_UNSUCCESSFUL', `${WHAT}: body fat percentage is 0xFFFF (measurement unsuccessful)`);
  }
  const reading: BodyCompositionReading = {
    kind: 'body_composition',
    bodyFatPercent: scaled(rawFat, 0.1),
    displayUnit: imperial ? 'lb' : 'kg',
  };
  let timestamp: BleDateTime | undefined;
  if (flags & 0x0002) timestamp = readDateTime(r);
  if (flags & 0x0004) {
    const user = r.u8('user ID');
    if (user !== 0xff) reading.userIndex = user;
  }
  if (flags & 0x0008) reading.basalMetabolismKj = r.u16('basal metabolism');
  if (flags & 0x0010) reading.musclePercent = scaled(r.u16('muscle percentage'), 0.1);
  if (flags & 0x0020) reading.muscleMassKg = mass(r.u16('muscle mass'));
  if (flags & 0x0040) reading.fatFreeMassKg = mass(r.u16('fat free mass'));
  if (flags & 0x0080) reading.softLeanMassKg = mass(r.u16('soft lean mass'));
  if (flags & 0x0100) reading.bodyWaterMassKg = mass(r.u16('body water mass'));
  if (flags & 0x0200) reading.impedanceOhm = scaled(r.u16('impedance'), 0.1);
  if (flags & 0x0400) reading.weightKg = mass(r.u16('weight'));
  if (flags & 0x0800) {
    const h = r.u16('height');
    reading.heightM = imperial ? scaled(h * 0.1, M_PER_INCH) : scaled(h, 0.001);
  }
  r.end((flags & 0xe000) !== 0);
  // A percentage above 100 means the bytes are not what the flags claim (e.g. a vendor
  // format on the standard UUID): refuse rather than store nonsense.
  for (const [field, v] of [['body fat percentage', reading.bodyFatPercent], ['muscle percentage', reading.musclePercent]] as const) {
    if (v !== undefined && v > 100) throw inconsistent(WHAT, `${field} ${v} % is above 100 %`, { field, value: v });
  }
  const out: DecodedBodyComposition = { reading, multiplePacket: (flags & 0x1000) !== 0 };
  return timestamp === undefined ? out : { ...out, timestamp };
}

/**
 * Joins the packets of a multiple-packet measurement (flags bit 12): each packet carries a
 * subset of the optional fields; the measurement is complete with the first packet whose
 * bit 12 is clear. Fields seen in both packets must agree.
 */
export function mergeBodyComposition(a: DecodedBodyComposition, b: DecodedBodyComposition): DecodedBodyComposition {
  const merged: Record<string, unknown> = { ...a.reading };
  for (const [k, v] of Object.entries(b.reading)) {
    if (v === undefined) continue;
    if (k in merged && merged[k] !== v && k !== 'displayUnit') {
      throw inconsistent(WHAT, `packets of one measurement disagree on ${k} (${String(merged[k])} vs ${String(v)})`);
    }
    merged[k] = v;
  }
  const timestamp = a.timestamp ?? b.timestamp;
  const out: DecodedBodyComposition = { reading: merged as BodyCompositionReading, multiplePacket: b.multiplePacket };
  return timestamp === undefined ? out : { ...out, timestamp };
}
