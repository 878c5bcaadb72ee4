import { describe, expect, it } from 'vitest';
import { BeatScheduler } from '../src/pages/lib/beats.js';
import { bestGrid } from '../src/pages/lib/grid.js';
import { timerPhase } from '../src/pages/lib/interval.js';
import { podium, rankLeaders } from '../src/pages/lib/leaderboard.js';

describe('TV grid', () => {
  it('chooses the grid with the largest tiles for the count and the screen', () => {
    expect(bestGrid(1, 1900, 1000)).toMatchObject({ rows: 1, cols: 1 });
    expect(bestGrid(6, 1900, 1000)).toMatchObject({ rows: 2, cols: 3 });
    expect(bestGrid(4, 1900, 1000)).toMatchObject({ rows: 2, cols: 2 });
    // 40 on a 16:9 screen: 6 rows of 7 give tiles of 263 × 160 (score 164) beating 5 × 8 (228 × 193, score 142)
    expect(bestGrid(40, 1900, 1000, 8)).toMatchObject({ rows: 6, cols: 7 });
    // a portrait screen stacks
    expect(bestGrid(6, 800, 1800)).toMatchObject({ rows: 6, cols: 1 });
  });
  it('is never worse than any other grid (exhaustive check, 1 to 60 athletes)', () => {
    for (let n = 1; n <= 60; n++) {
      const g = bestGrid(n, 1908, 1000, 8);
      expect(g.rows * g.cols).toBeGreaterThanOrEqual(n);
      const score = (r: number, c: number) => Math.min((1000 - (r - 1) * 8) / r, (1908 - (c - 1) * 8) / c / 1.6);
      for (let r = 1; r <= n; r++) expect(score(g.rows, g.cols)).toBeGreaterThanOrEqual(score(r, Math.ceil(n / r)) - 1e-9);
    }
  });
});

describe('leaderboard', () => {
  const e = (id: string, effortPoints: number, kcal: number, name = id.toUpperCase()) => ({ id, name, effortPoints, kcal });
  it('orders by effort points, then calories; equal totals by who reached them first, then name', () => {
    const since = (x: ReturnType<typeof e>, at: number | null) => ({ ...x, effortSince: at });
    const all = [since(e('dev', 10, 50), 2000), e('cy', 0, 0), since(e('ana', 10, 50), 1000), since(e('ben', 12, 40), 3000), e('al', 0, 0), since(e('eve', 10, 60), 5000), since(e('fay', 10, 50, 'AAA'), 2000)];
    // eve has more kcal; ana reached 10 first; dev and fay at the same instant: by name (AAA < DEV); 0 by name
    const want = ['ben', 'eve', 'ana', 'fay', 'dev', 'al', 'cy'];
    expect(rankLeaders(all).map((x) => x.id)).toEqual(want);
    // the same order whatever order the entries come in (every board agrees)
    expect(rankLeaders([...all].reverse()).map((x) => x.id)).toEqual(want);
    // no effortSince (an older hub): by name
    expect(rankLeaders([e('zed', 3, 3), e('amy', 3, 3)]).map((x) => x.id)).toEqual(['amy', 'zed']);
  });
  it('podium: the first three by effort points, calories, name', () => {
    expect(podium([e('a', 5, 10, 'Zed'), e('b', 9, 10), e('c', 9, 12), e('d', 5, 10, 'Ann')]).map((x) => x.id)).toEqual(['c', 'b', 'd']);
  });
});

describe('interval timer', () => {
  const t = { workSec: 40, restSec: 20, rounds: 3, startedAt: '2026-11-24T10:00:00.000Z', stoppedAt: null };
  const at = (s: number) => Date.parse(t.startedAt) + s * 1000;
  it('gives round, phase and seconds left', () => {
    expect(timerPhase(t, at(0))).toEqual({ phase: 'work', round: 1, rounds: 3, secondsLeft: 40 });
    expect(timerPhase(t, at(39.2))).toEqual({ phase: 'work', round: 1, rounds: 3, secondsLeft: 1 });
    expect(timerPhase(t, at(40))).toEqual({ phase: 'rest', round: 1, rounds: 3, secondsLeft: 20 });
    expect(timerPhase(t, at(61))).toEqual({ phase: 'work', round: 2, rounds: 3, secondsLeft: 39 });
    // no rest after the last round: 3 × 60 − 20 = 160 s
    expect(timerPhase(t, at(159))).toEqual({ phase: 'work', round: 3, rounds: 3, secondsLeft: 1 });
    expect(timerPhase(t, at(160)).phase).toBe('done');
    expect(timerPhase({ ...t, stoppedAt: '2026-11-24T10:00:30.000Z' }, at(45)).phase).toBe('stopped');
  });
});

describe('beat scheduling from RR intervals', () => {
  it('pulses once per interval, after it, continuing where the previous reading ended', () => {
    const s = new BeatScheduler();
    expect(s.schedule(1000, [800, 820])).toEqual([1800, 2620]);
    // the next reading arrives before the queue has played out: it follows on, no bunching
    expect(s.schedule(2000, [790])).toEqual([3410]);
    // idle: starts from the reading's arrival
    expect(s.schedule(10_000, [1000])).toEqual([11_000]);
  });
  it('skips artefacts silently and drops pulses more than 3 s ahead', () => {
    const s = new BeatScheduler();
    expect(s.schedule(0, [800, 250, 800])).toEqual([800, 1850]);
    const burst = s.schedule(2000, Array(10).fill(600) as number[]);
    expect(burst.every((p) => p <= 5000)).toBe(true);
    expect(burst).toEqual([2600, 3200, 3800, 4400, 5000]);
    expect(s.schedule(5000, [600])).toEqual([5600]);
  });
});
