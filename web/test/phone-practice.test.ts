import { describe, expect, it } from 'vitest';
import { PATTERNS, cycleSeconds } from '../src/pages/app/practice.js';
import { Stopwatch } from '../src/pages/app/timers.js';

describe('phone app: breathing patterns and the stopwatch', () => {
  it('paces the patterns as named', () => {
    expect(cycleSeconds('box')).toBe(16);
    expect(cycleSeconds('478')).toBe(19);
    expect(60 / cycleSeconds('resonant')).toBeCloseTo(5.5, 10);
    expect(PATTERNS['478']!.phases.map((p) => [p.label, p.seconds])).toEqual([['Breathe in', 4], ['Hold', 7], ['Breathe out', 8]]);
  });

  it('counts laps from the clock, the last lap ending at stop', () => {
    const sw = new Stopwatch();
    sw.start(1000);
    sw.lap(61_500);
    sw.lap(120_000);
    const r = sw.stop(150_250);
    expect(r).toMatchObject({ seconds: 149.25, laps: [60.5, 58.5, 30.25] });
    expect(r!.laps.reduce((a, b) => a + b, 0)).toBeCloseTo(r!.seconds, 6);
    expect(sw.stop(200_000)).toBeNull();
  });
});
