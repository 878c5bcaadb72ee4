import type { ByteReader } from './reader.js';

/**
 * Date Time (GATT Specification Supplement, section "Date Time", UUID 0x2A08, 7 octets): year uint16
 * (1582..9999, 0 = not known), month uint8 (1..12, 0 = not known), day uint8 (1..31,
 * 0 = not known), hours 0..23, minutes 0..59, seconds 0..59. No time zone: scales and cuffs
 * keep wall-clock time, so the caller decides the zone (see `toInstant`).
 */
export interface BleDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

export function readDateTime(r: ByteReader, field = 'time stamp'): BleDateTime {
  return {
    year: r.u16(`${field}.year`),
    month: r.u8(`${field}.month`),
    day: r.u8(`${field}.day`),
    hours: r.u8(`${field}.hours`),
    minutes: r.u8(`${field}.minutes`),
    seconds: r.u8(`${field}.seconds`),
  };
}

/**
 * A device clock that was never set (or lost its battery) reads year 0, or counts from its
 * epoch (1970, 2000 on some scales). Such a stamp is not a measurement time: callers use the
 * receive time instead and flag the reading `clockUnset`.
 */
export const MIN_PLAUSIBLE_YEAR = 2001;

export function isClockUnset(t: BleDateTime): boolean {
  return (
    t.year < MIN_PLAUSIBLE_YEAR ||
    t.year > 9999 ||
    t.month < 1 ||
    t.month > 12 ||
    t.day < 1 ||
    t.day > 31 ||
    t.hours > 23 ||
    t.minutes > 59 ||
    t.seconds > 59
  );
}

export type ClockZone = 'local' | 'utc';

/** The instant a device wall-clock stamp denotes, or undefined when the clock is unset or the date impossible (31 Feb). */
export function toInstant(t: BleDateTime, zone: ClockZone): Date | undefined {
  if (isClockUnset(t)) return undefined;
  const d =
    zone === 'utc'
      ? new Date(Date.UTC(t.year, t.month - 1, t.day, t.hours, t.minutes, t.seconds))
      : new Date(t.year, t.month - 1, t.day, t.hours, t.minutes, t.seconds);
  const day = zone === 'utc' ? d.getUTCDate() : d.getDate();
  return day === t.day ? d : undefined;
}
