/**
 * Cycling power on the board: the hub sends `power: {ftp, pctFtp, zone}` (Coggan levels 1..7)
 * with each cycling event that has power when the athlete has an FTP. The names are those of
 * POWER_ZONE_NAMES of @pulsehub/physiology (the one list the hub uses too).
 *
 * Colours: one violet hue from light to deep, so a power level is never mistaken for a
 * heart-rate zone (grey, blue, green, yellow, orange, red: lib/zones.ts) nor for an alert
 * (red "no signal", amber "weak", dark red low battery). The badge also carries the level
 * number and name, so colour is never the only cue. Text colour per level keeps a contrast
 * ratio of at least 4.5:1.
 */
import { POWER_ZONE_NAMES } from '@pulsehub/physiology';

export { POWER_ZONE_NAMES };
export const POWER_ZONE_COLORS = ['#e4defd', '#c9bcfb', '#ad98f7', '#9475f0', '#6b45d6', '#5529b8', '#3f148f'] as const;
const DARK_TEXT_LEVELS = 4;

/** A power reading older than this (its time on the board's clock) is hidden: the rider stopped. */
export const POWER_FRESH_MS = 10_000;

export interface PowerReading {
  watts: number;
  /** % FTP and level, when the athlete has an FTP. */
  pctFtp: number | null;
  zone: number | null;
  /** Epoch ms of the reading (clamped to now). */
  at: number;
}

export function powerZoneColor(zone: number): string {
  return POWER_ZONE_COLORS[zone - 1] ?? POWER_ZONE_COLORS[0];
}

export function powerZoneInk(zone: number): string {
  return zone <= DARK_TEXT_LEVELS ? '#0b0d10' : '#ffffff';
}

export function powerZoneLabel(zone: number): string {
  return `P${zone} ${POWER_ZONE_NAMES[zone - 1] ?? ''}`;
}

export function powerIsFresh(p: PowerReading | null, now: number): p is PowerReading {
  return p !== null && now - p.at <= POWER_FRESH_MS;
}
