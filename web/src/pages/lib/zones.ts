/** Zone colours (0 = below zone 1). Dark text on each keeps a contrast ratio above 4.5:1. */
export const ZONE_COLORS = ['#8b95a1', '#4b8ff7', '#2fc46a', '#f2c12e', '#fb8a3c', '#f4525a'] as const;
export const ZONE_NAMES = ['Rest', 'Warm-up', 'Easy', 'Aerobic', 'Threshold', 'Maximum'] as const;

export function zoneColor(zone: number | null | undefined): string {
  return zone === null || zone === undefined ? ZONE_COLORS[0] : (ZONE_COLORS[zone] ?? ZONE_COLORS[0]);
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

/** The hub's default zone floors (fractions of max HR), from the one physiology module. */
export { ZONE_FLOORS as DEFAULT_ZONE_FLOORS } from '@pulsehub/physiology';
