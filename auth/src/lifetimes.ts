import type { SubjectKind } from '@pulsehub/contracts';

const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * How long a token lives when whoever mints it does not say (`pulsehub token`, POST
 * /api/tokens): devices and gateways sit unattended for months, an admin token is a working
 * session's worth, people's tokens a month, an overlay (an OBS scene) a season.
 */
export const DEFAULT_TOKEN_TTL_SECONDS: Readonly<Record<SubjectKind, number>> = Object.freeze({
  device: 365 * DAY,
  gateway: 365 * DAY,
  admin: 12 * HOUR,
  coach: 30 * DAY,
  athlete: 30 * DAY,
  overlay: 90 * DAY,
  service: 30 * DAY,
});

/** The longest lifetime anyone may ask for. */
export const MAX_TOKEN_TTL_SECONDS = 10 * 365 * DAY;

const UNIT = { s: 1, m: 60, h: HOUR, d: DAY } as const;

/** `90`, `90s`, `15m`, `12h`, `30d` → seconds; undefined when it is not one of those (or out of range). */
export function parseTtl(text: string): number | undefined {
  const m = /^([1-9]\d{0,9})([smhd]?)$/.exec(text.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * UNIT[(m[2] || 's') as keyof typeof UNIT];
  return seconds <= MAX_TOKEN_TTL_SECONDS ? seconds : undefined;
}
