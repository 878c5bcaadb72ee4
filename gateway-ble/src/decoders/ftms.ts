import type { BleReading } from '@pulsehub/contracts';
import { ByteReader, scaled } from './reader.js';

/**
 * Fitness Machine Service (FTMS 1.0, service 0x1826) training data: Indoor Bike Data 0x2AD2,
 * Treadmill Data 0x2ACD and Rower Data 0x2AD1. Field layouts are those of the GATT
 * Specification Supplement ("Indoor Bike Data", "Treadmill Data", "Rower Data"); flag
 * meanings, the "Data Not Available" values and multi-notification records are from FTMS
 * 1.0 §4.4 (treadmill), §4.8 (rower), §4.9 (indoor bike) and §4.19.
 *
 * Every characteristic is a uint16 Flags field followed by the fields its bits announce, in
 * bit order. Bit 0 is "More Data" and is INVERTED: when 0, the first field group
 * (instantaneous speed; rower: stroke rate + stroke count) IS present; when 1 it is absent
 * and more notifications of the same Data Record follow (§4.19: a record too large for one
 * notification is split, and the last part has More Data = 0). All other bits: 1 = present.
 *
 * One table per characteristic describes the layout; a single walker reads it. Units out are
 * SI where the wire unit is a scaled SI unit (speed km/h → m/s); energy stays in kcal, pace in
 * the spec's unit, as named.
 */
export const INDOOR_BIKE_DATA = '2ad2';
export const TREADMILL_DATA = '2acd';
export const ROWER_DATA = '2ad1';
export const FITNESS_MACHINE_SERVICE = '1826';

export type IndoorBikeReading = Extract<BleReading, { kind: 'indoor_bike' }>;
export type TreadmillReading = Extract<BleReading, { kind: 'treadmill' }>;
export type RowerReading = Extract<BleReading, { kind: 'rower' }>;
export type FitnessMachineReading = IndoorBikeReading | TreadmillReading | RowerReading;

type FieldType = 'u8' | 'u16' | 's16' | 'u24';
interface Field {
  readonly key: string;
  readonly type: FieldType;
  /** Multiplier from the raw integer to the output unit. */
  readonly scale?: number;
  /** The raw value meaning "Data Not Available" (the field is then omitted). */
  readonly na?: number;
}
interface Group {
  readonly bit: number;
  /** True only for bit 0 (More Data): the group is present when the bit is 0. */
  readonly inverted?: boolean;
  readonly fields: readonly Field[];
}

/** 0.01 km/h → m/s (1 km/h = 1/3.6 m/s). */
const KMH100_TO_MPS = 0.01 / 3.6;

const f = (key: string, type: FieldType, scale?: number, na?: number): Field => ({ key, type, ...(scale === undefined ? {} : { scale }), ...(na === undefined ? {} : { na }) });

/** Total Energy uint16 kcal, Energy per Hour uint16 kcal, Energy per Minute uint8 kcal; all-ones = not available. */
const ENERGY: readonly Field[] = [f('totalEnergyKcal', 'u16', 1, 0xffff), f('energyPerHourKcal', 'u16', 1, 0xffff), f('energyPerMinuteKcal', 'u8', 1, 0xff)];
const HEART_RATE = [f('heartRateBpm', 'u8')];
const MET = [f('metabolicEquivalent', 'u8', 0.1)];
const ELAPSED = [f('elapsedTimeS', 'u16')];
const REMAINING = [f('remainingTimeS', 'u16')];

export const INDOOR_BIKE_LAYOUT: readonly Group[] = [
  { bit: 0, inverted: true, fields: [f('speedMps', 'u16', KMH100_TO_MPS)] },
  { bit: 1, fields: [f('averageSpeedMps', 'u16', KMH100_TO_MPS)] },
  { bit: 2, fields: [f('cadenceRpm', 'u16', 0.5)] },
  { bit: 3, fields: [f('averageCadenceRpm', 'u16', 0.5)] },
  { bit: 4, fields: [f('totalDistanceM', 'u24')] },
  { bit: 5, fields: [f('resistanceLevel', 's16')] },
  { bit: 6, fields: [f('powerW', 's16')] },
  { bit: 7, fields: [f('averagePowerW', 's16')] },
  { bit: 8, fields: ENERGY },
  { bit: 9, fields: HEART_RATE },
  { bit: 10, fields: MET },
  { bit: 11, fields: ELAPSED },
  { bit: 12, fields: REMAINING },
];

export const TREADMILL_LAYOUT: readonly Group[] = [
  { bit: 0, inverted: true, fields: [f('speedMps', 'u16', KMH100_TO_MPS)] },
  { bit: 1, fields: [f('averageSpeedMps', 'u16', KMH100_TO_MPS)] },
  { bit: 2, fields: [f('totalDistanceM', 'u24')] },
  // 0.1 % and 0.1 degree; 0x7FFF = not available (FTMS §4.4.1.5-6)
  { bit: 3, fields: [f('inclinationPercent', 's16', 0.1, 0x7fff), f('rampAngleDeg', 's16', 0.1, 0x7fff)] },
  { bit: 4, fields: [f('positiveElevationGainM', 'u16', 0.1), f('negativeElevationGainM', 'u16', 0.1)] },
  // uint8, 0.1 km/min as the spec defines it (many treadmills send min/km here: we keep the raw unit)
  { bit: 5, fields: [f('paceKmPerMin', 'u8', 0.1)] },
  { bit: 6, fields: [f('averagePaceKmPerMin', 'u8', 0.1)] },
  { bit: 7, fields: ENERGY },
  { bit: 8, fields: HEART_RATE },
  { bit: 9, fields: MET },
  { bit: 10, fields: ELAPSED },
  { bit: 11, fields: REMAINING },
  // 0x7FFF = not available (FTMS §4.4.1.17-18)
  { bit: 12, fields: [f('forceOnBeltN', 's16', 1, 0x7fff), f('powerW', 's16', 1, 0x7fff)] },
];

export const ROWER_LAYOUT: readonly Group[] = [
  { bit: 0, inverted: true, fields: [f('strokeRateSpm', 'u8', 0.5), f('strokeCount', 'u16')] },
  { bit: 1, fields: [f('averageStrokeRateSpm', 'u8', 0.5)] },
  { bit: 2, fields: [f('totalDistanceM', 'u24')] },
  { bit: 3, fields: [f('paceSPer500m', 'u16')] },
  { bit: 4, fields: [f('averagePaceSPer500m', 'u16')] },
  { bit: 5, fields: [f('powerW', 's16')] },
  { bit: 6, fields: [f('averagePowerW', 's16')] },
  { bit: 7, fields: [f('resistanceLevel', 's16')] },
  { bit: 8, fields: ENERGY },
  { bit: 9, fields: HEART_RATE },
  { bit: 10, fields: MET },
  { bit: 11, fields: ELAPSED },
  { bit: 12, fields: REMAINING },
];

/** Bits 13-15 are reserved for future use in all three characteristics. */
const RESERVED = 0xe000;

function readField(r: ByteReader, field: Field): number {
  switch (field.type) {
    case 'u8':
      return r.u8(field.key);
    case 'u16':
      return r.u16(field.key);
    case 's16':
      return r.s16(field.key);
    case 'u24':
      return r.u24(field.key);
  }
}

function decodeWith(what: string, layout: readonly Group[], value: Uint8Array): { fields: Record<string, number>; moreData: boolean } {
  const r = new ByteReader(value, what);
  const flags = r.u16('flags');
  const fields: Record<string, number> = {};
  for (const g of layout) {
    const set = (flags & (1 << g.bit)) !== 0;
    if (set === (g.inverted === true)) continue;
    for (const field of g.fields) {
      const raw = readField(r, field);
      if (raw === field.na) continue;
      fields[field.key] = field.scale === undefined || field.scale === 1 ? raw : scaled(raw, field.scale);
    }
  }
  r.end((flags & RESERVED) !== 0);
  return { fields, moreData: (flags & 0x0001) !== 0 };
}

/** What an FTMS decoder yields: one notification's fields, and whether more parts of the record follow. */
export interface DecodedFitnessMachine {
  readonly reading: FitnessMachineReading;
  readonly multiplePacket: boolean;
}

export function decodeIndoorBikeData(value: Uint8Array): DecodedFitnessMachine {
  const { fields, moreData } = decodeWith('Indoor Bike Data 0x2AD2', INDOOR_BIKE_LAYOUT, value);
  return { reading: { kind: 'indoor_bike', ...fields }, multiplePacket: moreData };
}

export function decodeTreadmillData(value: Uint8Array): DecodedFitnessMachine {
  const { fields, moreData } = decodeWith('Treadmill Data 0x2ACD', TREADMILL_LAYOUT, value);
  return { reading: { kind: 'treadmill', ...fields }, multiplePacket: moreData };
}

export function decodeRowerData(value: Uint8Array): DecodedFitnessMachine {
  const { fields, moreData } = decodeWith('Rower Data 0x2AD1', ROWER_LAYOUT, value);
  return { reading: { kind: 'rower', ...fields }, multiplePacket: moreData };
}

/**
 * Joins the notifications of one FTMS Data Record (§4.19): parts with More Data = 1 are held
 * and merged; the part with More Data = 0 completes the record, which is returned. A machine
 * that sets More Data on every notification without ever closing a record (seen in the
 * wild) would otherwise be silent: a part that repeats a field already held starts a new
 * record, and the held one is returned as it is. At most `maxParts` parts are held.
 */
export class FitnessMachineRecord {
  private held: Record<string, unknown> | undefined;
  private parts = 0;

  constructor(private readonly maxParts = 8) {}

  /** Feeds one decoded notification; returns the completed records (0, 1 or 2). */
  push(d: DecodedFitnessMachine): FitnessMachineReading[] {
    const out: FitnessMachineReading[] = [];
    const { kind: _kind, ...fields } = d.reading;
    if (this.held !== undefined && (this.held.kind !== d.reading.kind || Object.keys(fields).some((k) => k in (this.held as object)))) {
      out.push(this.flush());
    }
    this.held = { ...(this.held ?? { kind: d.reading.kind }), ...fields };
    this.parts++;
    if (!d.multiplePacket || this.parts >= this.maxParts) out.push(this.flush());
    return out;
  }

  private flush(): FitnessMachineReading {
    const r = this.held as FitnessMachineReading;
    this.held = undefined;
    this.parts = 0;
    return r;
  }
}
