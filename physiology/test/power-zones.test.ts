import { describe, expect, it } from 'vitest';
import { percentOfFtp, powerZoneOf } from '../src/index.js';

describe('power zones (% FTP, Coggan levels)', () => {
  it('the published level boundaries at FTP 200 W', () => {
    // [watts, level]: tops at 55, 75, 90, 105, 120, 150 % belong to the lower level
    const cases: [number, number][] = [
      [0, 1], [110, 1], [111, 2], [150, 2], [151, 3], [180, 3], [181, 4], [200, 4], [210, 4],
      [211, 5], [240, 5], [241, 6], [300, 6], [301, 7], [1200, 7],
    ];
    for (const [watts, level] of cases) expect(powerZoneOf(watts, 200), `${watts} W`).toBe(level);
  });
  it('negative watts (coasting, back-pedalling) are level 1; FTP must be positive', () => {
    expect(powerZoneOf(-30, 250)).toBe(1);
    expect(() => powerZoneOf(100, 0)).toThrow(RangeError);
  });
  it('percent of FTP for the tile', () => {
    expect(percentOfFtp(263, 250)).toBe(105);
    expect(percentOfFtp(-5, 250)).toBe(0);
  });
});
