import { describe, expect, it } from 'vitest';
import { FitnessMachineRecord, decodeIndoorBikeData, decodeRowerData, decodeTreadmillData, type DecodedFitnessMachine } from '../src/decoders/index.js';
import { isBleGatewayError } from '../src/errors.js';
import { expectCode, hex } from './helpers.js';

/**
 * An encoder written for this test from the GATT Specification Supplement tables (Indoor
 * Bike Data, Treadmill Data, Rower Data) — not the decoder's layout tables — so a wrong
 * size, order, sign or resolution on either side shows up as a mismatch. Each row: flag bit,
 * then for each field in order [output name, octets, signed, multiplier to the output unit].
 * Bit 0 is "More Data": its fields are present when the bit is 0.
 */
type Spec = [bit: number, fields: [name: string, octets: 1 | 2 | 3, signed: boolean, unit: number][]][];
const KMH = 1 / 360; // 0.01 km/h in m/s
const energy: Spec[number][1] = [
  ['totalEnergyKcal', 2, false, 1],
  ['energyPerHourKcal', 2, false, 1],
  ['energyPerMinuteKcal', 1, false, 1],
];

const BIKE: Spec = [
  [0, [['speedMps', 2, false, KMH]]],
  [1, [['averageSpeedMps', 2, false, KMH]]],
  [2, [['cadenceRpm', 2, false, 0.5]]],
  [3, [['averageCadenceRpm', 2, false, 0.5]]],
  [4, [['totalDistanceM', 3, false, 1]]],
  [5, [['resistanceLevel', 2, true, 1]]],
  [6, [['powerW', 2, true, 1]]],
  [7, [['averagePowerW', 2, true, 1]]],
  [8, energy],
  [9, [['heartRateBpm', 1, false, 1]]],
  [10, [['metabolicEquivalent', 1, false, 0.1]]],
  [11, [['elapsedTimeS', 2, false, 1]]],
  [12, [['remainingTimeS', 2, false, 1]]],
];
const TREADMILL: Spec = [
  [0, [['speedMps', 2, false, KMH]]],
  [1, [['averageSpeedMps', 2, false, KMH]]],
  [2, [['totalDistanceM', 3, false, 1]]],
  [3, [['inclinationPercent', 2, true, 0.1], ['rampAngleDeg', 2, true, 0.1]]],
  [4, [['positiveElevationGainM', 2, false, 0.1], ['negativeElevationGainM', 2, false, 0.1]]],
  [5, [['paceKmPerMin', 1, false, 0.1]]],
  [6, [['averagePaceKmPerMin', 1, false, 0.1]]],
  [7, energy],
  [8, [['heartRateBpm', 1, false, 1]]],
  [9, [['metabolicEquivalent', 1, false, 0.1]]],
  [10, [['elapsedTimeS', 2, false, 1]]],
  [11, [['remainingTimeS', 2, false, 1]]],
  [12, [['forceOnBeltN', 2, true, 1], ['powerW', 2, true, 1]]],
];
const ROWER: Spec = [
  [0, [['strokeRateSpm', 1, false, 0.5], ['strokeCount', 2, false, 1]]],
  [1, [['averageStrokeRateSpm', 1, false, 0.5]]],
  [2, [['totalDistanceM', 3, false, 1]]],
  [3, [['paceSPer500m', 2, false, 1]]],
  [4, [['averagePaceSPer500m', 2, false, 1]]],
  [5, [['powerW', 2, true, 1]]],
  [6, [['averagePowerW', 2, true, 1]]],
  [7, [['resistanceLevel', 2, true, 1]]],
  [8, energy],
  [9, [['heartRateBpm', 1, false, 1]]],
  [10, [['metabolicEquivalent', 1, false, 0.1]]],
  [11, [['elapsedTimeS', 2, false, 1]]],
  [12, [['remainingTimeS', 2, false, 1]]],
];

/** Deterministic pseudo-random raw values (a 32-bit LCG), avoiding the all-ones "not available" codes. */
function rng(seed: number): (octets: number, signed: boolean) => number {
  let s = seed >>> 0;
  return (octets, signed) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const span = 2 ** (8 * octets);
    let v = s % (span - 2); // never 0xFF / 0xFFFF / 0xFFFFFF
    if (signed) {
      v -= span / 2;
      if (v === span / 2 - 1) v -= 1; // never 0x7FFF
    }
    return v;
  };
}

function encode(spec: Spec, flags: number, next: (octets: number, signed: boolean) => number): { bytes: number[]; expected: Record<string, number> } {
  const bytes = [flags & 0xff, flags >> 8];
  const expected: Record<string, number> = {};
  for (const [bit, fields] of spec) {
    const present = bit === 0 ? (flags & 1) === 0 : (flags & (1 << bit)) !== 0;
    if (!present) continue;
    for (const [name, octets, signed, unit] of fields) {
      const v = next(octets, signed);
      const u = v < 0 ? v + 2 ** (8 * octets) : v;
      for (let i = 0; i < octets; i++) bytes.push((u >> (8 * i)) & 0xff);
      expected[name] = v * unit;
    }
  }
  return { bytes, expected };
}

const CHARACTERISTICS = [
  { name: 'Indoor Bike Data 0x2AD2', kind: 'indoor_bike', spec: BIKE, decode: decodeIndoorBikeData },
  { name: 'Treadmill Data 0x2ACD', kind: 'treadmill', spec: TREADMILL, decode: decodeTreadmillData },
  { name: 'Rower Data 0x2AD1', kind: 'rower', spec: ROWER, decode: decodeRowerData },
] as const;

describe.each(CHARACTERISTICS)('$name: every flag combination', ({ kind, spec, decode }) => {
  it('all 2^13 combinations of the 13 defined bits decode to what the independent encoder wrote', () => {
    const next = rng(0x2ad2);
    const failures: string[] = [];
    const codeOf = (bytes: number[]): string | undefined => {
      try {
        decode(Uint8Array.from(bytes));
        return undefined;
      } catch (err) {
        return isBleGatewayError(err) ? err.code : String(err);
      }
    };
    for (let flags = 0; flags < 1 << 13; flags++) {
      const at = `flags 0x${flags.toString(16).padStart(4, '0')}`;
      const { bytes, expected } = encode(spec, flags, next);
      const d = decode(Uint8Array.from(bytes));
      if (d.multiplePacket !== ((flags & 1) === 1)) failures.push(`${at}: multiplePacket ${d.multiplePacket}`);
      const { kind: k, ...got } = d.reading as Record<string, number> & { kind: string };
      if (k !== kind) failures.push(`${at}: kind ${k}`);
      if (Object.keys(got).sort().join() !== Object.keys(expected).sort().join()) failures.push(`${at}: fields ${Object.keys(got).join()} ≠ ${Object.keys(expected).join()}`);
      for (const [name, want] of Object.entries(expected)) {
        if (!(Math.abs((got[name] as number) - want) <= 1e-6)) failures.push(`${at} ${name}: ${got[name]} ≠ ${want}`);
      }
      // one octet short is always PH_BLE_TRUNCATED, one extra always PH_BLE_INCONSISTENT
      if (bytes.length > 2 && codeOf(bytes.slice(0, -1)) !== 'PH_BLE_TRUNCATED') failures.push(`${at}: short value not refused`);
      if (codeOf([...bytes, 0]) !== 'PH_BLE_INCONSISTENT') failures.push(`${at}: trailing octet not refused`);
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });

  it('reserved bits 13-15: known fields decoded, later octets (future fields) ignored', () => {
    for (const reserved of [0x2000, 0x4000, 0x8000]) {
      const { bytes, expected } = encode(spec, reserved | 0x0001, rng(reserved));
      expect(Object.keys(expected)).toEqual([]);
      expect(decode(Uint8Array.from([...bytes, 1, 2, 3])).reading).toEqual({ kind });
    }
  });
});

describe('FTMS spec vectors, written by hand', () => {
  it('Indoor Bike Data: speed (bit 0 = 0), cadence, power — a typical smart trainer', () => {
    // flags 0x0044 | speed 2320 × 0.01 km/h | cadence 180 × 0.5 /min | power 250 W
    const d = decodeIndoorBikeData(hex('44 00 10 09 B4 00 FA 00'));
    expect(d.multiplePacket).toBe(false);
    expect(d.reading).toEqual({ kind: 'indoor_bike', speedMps: 6.444444, cadenceRpm: 90, powerW: 250 });
  });
  it('Indoor Bike Data: bit 0 = 1 means no speed field, not "speed present"', () => {
    // flags 0x0041: More Data, power present | power -20 W (back-pedalling is signed)
    expect(decodeIndoorBikeData(hex('41 00 EC FF'))).toEqual({ reading: { kind: 'indoor_bike', powerW: -20 }, multiplePacket: true });
  });
  it('Indoor Bike Data: energy "not available" codes are omitted, heart rate and MET kept', () => {
    // flags 0x0700: speed | energy FFFF FFFF FF | HR 142 | MET 8.5
    expect(decodeIndoorBikeData(hex('00 07 00 00 FF FF FF FF FF 8E 55')).reading).toEqual({ kind: 'indoor_bike', speedMps: 0, heartRateBpm: 142, metabolicEquivalent: 8.5 });
    // total distance is a uint24: 0x0186A0 = 100 000 m
    expect(decodeIndoorBikeData(hex('11 00 A0 86 01')).reading).toEqual({ kind: 'indoor_bike', totalDistanceM: 100000 });
  });
  it('Treadmill Data: speed, incline -1.5 %, ramp "not available", elevation gain, pace, force/power', () => {
    // flags 0x1038 = bits 3, 4, 5, 12 | speed 1000 (10 km/h) | incline -15 | ramp 7FFF | +12.3 m -4.5 m | pace 6.0 | force 7FFF | power 180 W
    const d = decodeTreadmillData(hex('38 10 E8 03 F1 FF FF 7F 7B 00 2D 00 3C FF 7F B4 00'));
    expect(d.reading).toEqual({
      kind: 'treadmill',
      speedMps: 2.777778,
      inclinationPercent: -1.5,
      positiveElevationGainM: 12.3,
      negativeElevationGainM: 4.5,
      paceKmPerMin: 6,
      powerW: 180,
    });
  });
  it('Rower Data: stroke rate and count present when bit 0 is 0; pace per 500 m, power', () => {
    // flags 0x0028 = bits 3, 5 | stroke rate 48 × 0.5 | stroke count 321 | pace 125 s | power 210 W
    expect(decodeRowerData(hex('28 00 30 41 01 7D 00 D2 00')).reading).toEqual({ kind: 'rower', strokeRateSpm: 24, strokeCount: 321, paceSPer500m: 125, powerW: 210 });
    // flags 0x0001: More Data, nothing else — an empty first part
    expect(decodeRowerData(hex('01 00'))).toEqual({ reading: { kind: 'rower' }, multiplePacket: true });
  });
  it('a short or long value is refused, never a wrong number', () => {
    expectCode(() => decodeIndoorBikeData(hex('44')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeIndoorBikeData(hex('44 00 10 09 B4 00 FA')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeRowerData(hex('00 00 30 41')), 'PH_BLE_TRUNCATED');
    expectCode(() => decodeTreadmillData(hex('00 00 E8 03 00')), 'PH_BLE_INCONSISTENT');
  });
});

describe('FTMS multi-notification Data Records (FTMS §4.19)', () => {
  const bike = (s: string): DecodedFitnessMachine => decodeIndoorBikeData(hex(s));

  it('parts with More Data = 1 are held and joined with the closing part (More Data = 0)', () => {
    const rec = new FitnessMachineRecord();
    expect(rec.push(bike('C1 00 FA 00 F0 00'))).toEqual([]); // more data | power 250, avg power 240
    expect(rec.push(bike('01 02 8C'))).toEqual([]); // more data | HR 140
    expect(rec.push(bike('04 00 10 09 B4 00'))).toEqual([{ kind: 'indoor_bike', powerW: 250, averagePowerW: 240, heartRateBpm: 140, speedMps: 6.444444, cadenceRpm: 90 }]);
    // the next record starts afresh
    expect(rec.push(bike('00 00 00 00'))).toEqual([{ kind: 'indoor_bike', speedMps: 0 }]);
  });

  it('a machine that never closes a record: a repeated field starts the next record', () => {
    const rec = new FitnessMachineRecord();
    expect(rec.push(bike('41 00 FA 00'))).toEqual([]);
    expect(rec.push(bike('41 00 FB 00'))).toEqual([{ kind: 'indoor_bike', powerW: 250 }]);
    expect(rec.push(bike('41 00 FC 00'))).toEqual([{ kind: 'indoor_bike', powerW: 251 }]);
  });

  it('at most maxParts parts are held', () => {
    const rec = new FitnessMachineRecord(2);
    expect(rec.push(bike('41 00 FA 00'))).toEqual([]);
    expect(rec.push(bike('01 02 8C'))).toEqual([{ kind: 'indoor_bike', powerW: 250, heartRateBpm: 140 }]);
  });
});
