import { describe, expect, it } from 'vitest';
import { POWER_ZONE_NAMES as HUB_NAMES } from '@pulsehub/physiology';
import { POWER_FRESH_MS, POWER_ZONE_COLORS, POWER_ZONE_NAMES, powerIsFresh, powerZoneInk, powerZoneLabel } from '../src/pages/lib/power.js';
import { ZONE_COLORS } from '../src/pages/lib/zones.js';

// The board page cannot import @pulsehub/ingest, so it keeps its own copy of the level names.
describe('board power zones', () => {
  it('name the seven Coggan levels as the hub does', () => {
    expect([...POWER_ZONE_NAMES]).toEqual([...HUB_NAMES]);
  });
  it('have one colour per level, none of them a heart-rate zone colour', () => {
    expect(POWER_ZONE_COLORS).toHaveLength(7);
    for (const c of POWER_ZONE_COLORS) expect(ZONE_COLORS as readonly string[]).not.toContain(c);
  });
});

describe('board power line', () => {
  it('shows a reading up to POWER_FRESH_MS old, then hides it', () => {
    const p = { watts: 200, pctFtp: 80, zone: 3, at: 1_000_000 };
    expect(powerIsFresh(p, p.at + POWER_FRESH_MS)).toBe(true);
    expect(powerIsFresh(p, p.at + POWER_FRESH_MS + 1)).toBe(false);
    expect(powerIsFresh(null, p.at)).toBe(false);
    expect(powerZoneLabel(1)).toBe('P1 active recovery');
    expect(powerZoneLabel(7)).toBe('P7 neuromuscular');
    expect([1, 4, 5, 7].map(powerZoneInk)).toEqual(['#0b0d10', '#0b0d10', '#ffffff', '#ffffff']);
  });
});
