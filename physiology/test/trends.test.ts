import { describe, expect, it } from 'vitest';
import { pearson, restingTrend, weeklyWeightChange } from '@pulsehub/physiology';

describe('trend math for insights and scheduled rules', () => {
  it('Pearson r: +1, −1, a textbook value, and null when a side does not vary or n < 2', () => {
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3, 4], [8, 6, 4, 2])).toBeCloseTo(-1, 12);
    // x = 1..5, y = 2,4,5,4,5: r = 6 / sqrt(10 × 6) = 0.7746
    expect(pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])).toBeCloseTo(0.7746, 4);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(pearson([1], [1])).toBeNull();
  });

  it('resting HR: 7 recent days against the 28 before them; days without a value are skipped', () => {
    const day = (ago: number) => new Date(Date.parse('2026-11-30T00:00:00Z') - ago * 86_400_000).toISOString().slice(0, 10);
    const days = [
      ...Array.from({ length: 7 }, (_, i) => ({ day: day(i), resting: 66 })),
      ...Array.from({ length: 28 }, (_, i) => ({ day: day(7 + i), resting: i % 2 ? 60 : null })),
      { day: day(40), resting: 99 }, // outside both windows
    ];
    expect(restingTrend(days, '2026-11-30')).toEqual({ recentMean: 66, recentDays: 7, baselineMean: 60, baselineDays: 14, delta: 6 });
    expect(restingTrend([], '2026-11-30').delta).toBeNull();
  });

  it('weekly weight change: the largest change between weigh-ins at most 7 days apart', () => {
    const d = (n: number) => n * 86_400_000;
    expect(weeklyWeightChange([[d(0), 80], [d(3), 81], [d(6), 82]])).toMatchObject({ from: 80, to: 82, percent: 2.5 });
    expect(weeklyWeightChange([[d(0), 80], [d(8), 84]])).toBeNull(); // 8 days apart: never compared
    expect(weeklyWeightChange([[d(0), 80]])).toBeNull();
  });
});
