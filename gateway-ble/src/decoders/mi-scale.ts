import type { BleReading } from '@pulsehub/contracts';
import { readDateTime, type BleDateTime } from './date-time.js';
import { ByteReader, inconsistent, scaled } from './reader.js';
import { KG_PER_CATTY, KG_PER_LB } from './units.js';

/**
 * Xiaomi scales broadcast each measurement in advertisements (AD type 0x16, Service Data),
 * under a standard 16-bit service UUID but in a vendor layout — not the GATT Weight or Body
 * Composition Measurement layout. Layouts below were checked against several public
 * reverse-engineering notes (openScale, MIBCS-Reverse-Engineering); they are not SIG specs.
 *
 * Mi Smart Scale (XMTZC01HM / XMTZC04HM), service data UUID 0x181D, 10 octets:
 *   0     control: bit 0 lb, bit 4 catty, bit 5 stabilized, bit 7 weight removed
 *   1-2   weight uint16: 0.01 lb or 0.01 catty, else 0.005 kg (raw / 200)
 *   3-9   Date Time (year uint16, month, day, hour, minute, second)
 *
 * Mi Body Composition Scale (XMTZC02HM / XMTZC05HM), service data UUID 0x181B, 13 octets:
 *   0     control: bit 0 lb
 *   1     control: bit 1 impedance present, bit 5 stabilized, bit 6 catty, bit 7 weight removed
 *   2-8   Date Time
 *   9-10  impedance uint16, ohm (0xFFFD..0xFFFF / 0 = not measured)
 *   11-12 weight uint16, same resolutions as above
 * When both the lb and catty bits are set the scale displays pounds (observed firmware).
 */
export const MI_SCALE_SERVICE = '181d';
export const MI_BODY_SCALE_SERVICE = '181b';

export interface MiScaleMeasurement {
  readonly stabilized: boolean;
  readonly removed: boolean;
  readonly timestamp: BleDateTime;
  readonly reading: Extract<BleReading, { kind: 'weight' }> | Extract<BleReading, { kind: 'body_composition' }>;
}

function massKg(raw: number, unit: 'kg' | 'lb' | 'catty'): number {
  if (unit === 'lb') return scaled(raw * 0.01, KG_PER_LB);
  if (unit === 'catty') return scaled(raw * 0.01, KG_PER_CATTY);
  return scaled(raw, 0.005);
}

const unitOf = (lb: boolean, catty: boolean): 'kg' | 'lb' | 'catty' => (lb ? 'lb' : catty ? 'catty' : 'kg');

export function decodeMiScale(data: Uint8Array): MiScaleMeasurement {
  const what = 'Mi Scale advertisement 0x181D';
  const r = new ByteReader(data, what);
  const ctrl = r.u8('control');
  const rawWeight = r.u16('weight');
  const timestamp = readDateTime(r);
  r.end();
  const unit = unitOf((ctrl & 0x01) !== 0, (ctrl & 0x10) !== 0);
  const kg = massKg(rawWeight, unit);
  if (kg > 300) throw inconsistent(what, `weight ${kg} kg is beyond the scale's range`, { rawWeight });
  return { stabilized: (ctrl & 0x20) !== 0, removed: (ctrl & 0x80) !== 0, timestamp, reading: { kind: 'weight', kg, displayUnit: unit } };
}

export function decodeMiBodyScale(data: Uint8Array): MiScaleMeasurement {
  const what = 'Mi Body Composition Scale advertisement 0x181B';
  const r = new ByteReader(data, what);
  const ctrl0 = r.u8('control 0');
  const ctrl1 = r.u8('control 1');
  const timestamp = readDateTime(r);
  const impedance = r.u16('impedance');
  const rawWeight = r.u16('weight');
  r.end();
  const unit = unitOf((ctrl0 & 0x01) !== 0, (ctrl1 & 0x40) !== 0);
  const kg = massKg(rawWeight, unit);
  if (kg > 300) throw inconsistent(what, `weight ${kg} kg is beyond the scale's range`, { rawWeight });
  const reading: Extract<BleReading, { kind: 'body_composition' }> = { kind: 'body_composition', weightKg: kg, displayUnit: unit };
  // the scale sets bit 1 only once the impedance has been measured; 0 and 0xFFFx mean "none"
  if (ctrl1 & 0x02 && impedance > 0 && impedance < 0xfff0) reading.impedanceOhm = impedance;
  return { stabilized: (ctrl1 & 0x20) !== 0, removed: (ctrl1 & 0x80) !== 0, timestamp, reading };
}
