import { BleGatewayError } from '../errors.js';

/**
 * A bounds-checked little-endian cursor over a characteristic value. Every GATT field is
 * little-endian (GATT Specification Supplement, "Data types"): multi-octet
 * fields are transmitted least-significant octet first. Reading past the end throws
 * PH_BLE_TRUNCATED naming the field, so a short buffer can never produce a number.
 */
export class ByteReader {
  private offset = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private need(bytes: number, field: string): number {
    if (this.offset + bytes > this.buf.length) {
      throw new BleGatewayError(
        'PH_BLE_TRUNCATED',
        `${this.what}: ${field} needs ${bytes} byte(s) at offset ${this.offset}, value has ${this.buf.length}`,
        { details: { field, offset: this.offset, length: this.buf.length } },
      );
    }
    const at = this.offset;
    this.offset += bytes;
    return at;
  }

  u8(field: string): number {
    return this.buf[this.need(1, field)] as number;
  }

  u16(field: string): number {
    const at = this.need(2, field);
    return (this.buf[at] as number) | ((this.buf[at + 1] as number) << 8);
  }

  s16(field: string): number {
    const v = this.u16(field);
    return v >= 0x8000 ? v - 0x10000 : v;
  }

  u24(field: string): number {
    const at = this.need(3, field);
    return (this.buf[at] as number) | ((this.buf[at + 1] as number) << 8) | ((this.buf[at + 2] as number) << 16);
  }

  u32(field: string): number {
    const at = this.need(4, field);
    // >>> 0 keeps the top bit from turning the value negative
    return ((this.buf[at] as number) | ((this.buf[at + 1] as number) << 8) | ((this.buf[at + 2] as number) << 16) | ((this.buf[at + 3] as number) << 24)) >>> 0;
  }

  /**
   * Rejects trailing bytes: a value longer than its flags say is inconsistent, not "probably
   * fine". When the flags use bits reserved for future use, later versions of the spec append
   * their new fields after the ones we know (the SIG adds fields at the end), so the
   * tail is ignored then.
   */
  end(reservedFlagsSet = false): void {
    if (!reservedFlagsSet && this.offset !== this.buf.length) {
      throw new BleGatewayError(
        'PH_BLE_INCONSISTENT',
        `${this.what}: ${this.buf.length - this.offset} unexpected trailing byte(s) after the fields the flags announce`,
        { details: { offset: this.offset, length: this.buf.length } },
      );
    }
  }
}

/** Rounds away binary noise from resolution scaling (0.005 × 14000 = 70.00000000000001). */
export function scaled(raw: number, resolution: number, digits = 6): number {
  const f = 10 ** digits;
  return Math.round(raw * resolution * f) / f;
}

export function inconsistent(what: string, message: string, details?: unknown): BleGatewayError {
  return new BleGatewayError('PH_BLE_INCONSISTENT', `${what}: ${message}`, { details });
}
