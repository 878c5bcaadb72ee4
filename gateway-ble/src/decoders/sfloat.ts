/**
 * IEEE 11073-20601 SFLOAT-Type (16 bits): a 4-bit two's-complement exponent (high nibble)
 * and a 12-bit two's-complement mantissa, value = mantissa × 10^exponent.
 * The GATT Specification Supplement (data type "medfloat16") lists the special values, all with
 * exponent 0: NaN 0x07FF, NRes 0x0800, +INFINITY 0x07FE, −INFINITY 0x0802, Reserved 0x0801.
 *
 * None of them is a measurement, so all decode to `undefined` ("absent"). We also treat
 * those five mantissas as special under a non-zero exponent: 11073 reserves them, and
 * reading 0x17FF as 20470 would be exactly the "wrong number" we must never produce.
 */
export type SfloatSpecial = 'nan' | 'nres' | '+inf' | '-inf' | 'reserved';

export interface SfloatValue {
  readonly value: number | undefined;
  readonly special?: SfloatSpecial;
}

const SPECIAL: Readonly<Record<number, SfloatSpecial>> = {
  0x07ff: 'nan',
  0x0800: 'nres',
  0x07fe: '+inf',
  0x0802: '-inf',
  0x0801: 'reserved',
};

export function decodeSfloat(raw: number): SfloatValue {
  const mantissaBits = raw & 0x0fff;
  const special = SPECIAL[mantissaBits];
  if (special !== undefined) return { value: undefined, special };
  const mantissa = mantissaBits >= 0x0800 ? mantissaBits - 0x1000 : mantissaBits;
  const expBits = (raw >> 12) & 0x0f;
  const exponent = expBits >= 0x08 ? expBits - 0x10 : expBits;
  // Round to the precision the exponent carries so 123 × 10^-1 is 12.3, not 12.300000000000001.
  const value = exponent < 0 ? Number((mantissa * 10 ** exponent).toFixed(-exponent)) : mantissa * 10 ** exponent;
  return { value };
}
