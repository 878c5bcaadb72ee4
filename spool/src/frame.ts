import { crc32 } from 'node:zlib';

/**
 * One record on disk:
 *
 *   offset 0  uint32 LE  payload length N
 *   offset 4  uint32 LE  CRC-32 (IEEE) of bytes 8 .. 16+N
 *   offset 8  uint64 LE  sequence number (monotonic across the whole queue)
 *   offset 16 N bytes    payload
 *
 * The length comes first so a reader knows how much to expect; the CRC covers the sequence
 * number and the payload, so a torn write (power cut mid-append: length written, payload
 * partly) or a sector of garbage fails the check and is never delivered.
 */
export const HEADER_BYTES = 16;

export function encodeFrame(seq: number, payload: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  buf.writeUInt32LE(payload.length, 0);
  buf.writeBigUInt64LE(BigInt(seq), 8);
  buf.set(payload, HEADER_BYTES);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

export type FrameResult =
  | { ok: true; seq: number; payloadOffset: number; length: number; next: number }
  | { ok: false; reason: 'torn_header' | 'torn_payload' | 'too_large' | 'crc_mismatch' };

/** Parses the frame at `offset` of a segment's bytes without copying the payload. */
export function readFrame(buf: Buffer, offset: number, maxRecordBytes: number): FrameResult {
  if (offset + HEADER_BYTES > buf.length) return { ok: false, reason: 'torn_header' };
  const length = buf.readUInt32LE(offset);
  if (length > maxRecordBytes) return { ok: false, reason: 'too_large' };
  const end = offset + HEADER_BYTES + length;
  if (end > buf.length) return { ok: false, reason: 'torn_payload' };
  const crc = buf.readUInt32LE(offset + 4);
  if (crc32(buf.subarray(offset + 8, end)) !== crc) return { ok: false, reason: 'crc_mismatch' };
  return { ok: true, seq: Number(buf.readBigUInt64LE(offset + 8)), payloadOffset: offset + HEADER_BYTES, length, next: end };
}
