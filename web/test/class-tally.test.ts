import { describe, expect, it } from 'vitest';
import { effortPoints, keytelKcal, timeInZones } from '@pulsehub/physiology';
import { AthleteTally } from '../src/live/classes.js';

describe('class tally: when the effort points were reached', () => {
  it('records the reading at which the (one-decimal) effort points last changed, and keeps it while they stay', () => {
    const t = new AthleteTally('ana', { maxHr: 200, age: 30, weightKg: 70 }, [0.5, 0.6, 0.7, 0.8, 0.9]);
    const s = (x: number) => 1_000_000 + x * 1000;
    t.add(s(0), 185); // 92.5 % of max: zone 5 (4 points/min) from here
    expect(t.toMessage('c1').effortSince).toBeNull();
    t.add(s(30), 60); // 30 s of zone 5 = 2 points, reached at s(30)
    expect(t.toMessage('c1')).toMatchObject({ effortPoints: 2, effortSince: s(30) });
    t.add(s(50), 60); // 20 s below zone 1: no points, the instant stays
    expect(t.toMessage('c1')).toMatchObject({ effortPoints: 2, effortSince: s(30) });
    t.add(s(56), 150); // 6 s more of zone 0, still 2
    t.add(s(62), 150); // 6 s of zone 3 (75 %): +0.3
    expect(t.toMessage('c1')).toMatchObject({ effortPoints: 2.3, effortSince: s(62) });
  });
});

describe('class tally: the same arithmetic as the daily rollup', () => {
  it('adds time in the class floors, calories and effort points as the physiology batch functions do (gaps capped at 60 s)', () => {
    const floors = [0.55, 0.65, 0.75, 0.85, 0.95];
    const t = new AthleteTally('ben', { maxHr: 190, age: 44, weightKg: 82 }, floors);
    const readings = [[0, 120], [20, 140], [35, 170], [200, 182], [230, 150], [231, 95], [290, 160]].map(([s, bpm]) => ({ at: 1_000_000 + s! * 1000, bpm: bpm! }));
    for (const r of readings) t.add(r.at, r.bpm);
    const seconds = timeInZones(readings, 190, { floors });
    const m = t.toMessage('c2');
    expect(m.secondsInZones).toEqual(seconds.map((x) => Math.round(x)));
    expect(m.secondsInZones.reduce((a, b) => a + b, 0)).toBe(20 + 15 + 60 + 30 + 1 + 59); // the 165 s gap counts 60 s
    expect(m.kcal).toBe(Math.round(keytelKcal(readings, { sex: 'unspecified', age: 44, weightKg: 82 }) * 10) / 10);
    expect(m.effortPoints).toBe(Math.round(effortPoints(seconds) * 10) / 10);
  });
});
