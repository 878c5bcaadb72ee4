import { describe, expect, it } from 'vitest';
import { HrvTracker, RollingRmssd, artefactMask, morningRmssd, rmssd, wakingTime } from '../src/index.js';

/**
 * An independent reference, written differently from the module on purpose: for each beat it
 * walks left and right over the raw list to collect its in-range neighbours (O(n²)), takes the
 * median by counting ranks, then lists the kept pairs explicitly.
 */
function referenceRmssd(rr: readonly number[], breaks: readonly boolean[] = []): { kept: boolean[]; value: number | undefined; pairs: number } {
  const ok = (x: number) => x >= 300 && x <= 2000;
  const kept: boolean[] = [];
  for (let i = 0; i < rr.length; i++) {
    if (!ok(rr[i]!)) { kept.push(false); continue; }
    const win = [rr[i]!];
    for (let j = i - 1, got = 0; j >= 0 && got < 2; j--) if (ok(rr[j]!)) { win.unshift(rr[j]!); got++; }
    for (let j = i + 1, got = 0; j < rr.length && got < 2; j++) if (ok(rr[j]!)) { win.push(rr[j]!); got++; }
    // median by rank counting
    const n = win.length;
    const nth = (k: number) => win.find((v) => win.filter((w) => w < v).length <= k && win.filter((w) => w <= v).length > k)!;
    const med = n % 2 ? nth((n - 1) / 2) : (nth(n / 2 - 1) + nth(n / 2)) / 2;
    kept.push(Math.abs(rr[i]! - med) / med <= 0.2);
  }
  const diffs: number[] = [];
  for (let i = 0; i + 1 < rr.length; i++) if (kept[i] && kept[i + 1] && !breaks[i + 1]) diffs.push(rr[i + 1]! - rr[i]!);
  const value = diffs.length ? Math.sqrt(diffs.map((d) => d * d).reduce((a, b) => a + b, 0) / diffs.length) : undefined;
  return { kept, value, pairs: diffs.length };
}

/** A seeded generator (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sinus rhythm around `base` ms with some ectopic beats, dropouts and out-of-range values. */
function recording(seed: number, n: number, base = 850): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const u = r();
    if (u < 0.03) return Math.round(base * 0.55); // premature beat
    if (u < 0.05) return Math.round(base * 1.9); // missed detection
    if (u < 0.06) return r() < 0.5 ? 250 : 2300; // out of range
    return Math.round(base + 40 * Math.sin(i / 4) + (r() - 0.5) * 30);
  });
}

describe('HRV: artefact correction and RMSSD', () => {
  it('hand-computed: RMSSD of 800, 810, 790, 800 is √200', () => {
    // differences 10, −20, 10 → squares 100, 400, 100 → mean 200
    expect(rmssd([800, 810, 790, 800])).toBeCloseTo(Math.sqrt(200), 12);
  });

  it('drops an interval > 20 % from the median of its 5-beat window, and never differences across it', () => {
    const rr = [800, 810, 1200, 790, 800];
    // window of 1200: [800, 810, 1200, 790, 800] → median 800; |1200 − 800| = 400 > 160
    expect(artefactMask(rr)).toEqual([true, true, false, true, true]);
    // only 800→810 and 790→800 remain: √((100 + 100) / 2) = 10
    expect(rmssd(rr)).toBeCloseTo(10, 12);
  });

  it('drops intervals outside 300–2000 ms before taking medians', () => {
    expect(artefactMask([250, 800, 810, 2100, 805, 299, 300])).toEqual([false, true, true, false, true, false, false]);
    // 300 is in range but 300 vs median(810, 805, 300) = 805 deviates > 20 %
    expect(artefactMask([300, 310, 305, 2000])).toEqual([true, true, true, false]);
  });

  it('a 20 % deviation is kept, just over it is dropped', () => {
    // window [1000, 1000, 1200, 1000, 1000] median 1000: 200 ≤ 200 kept
    expect(artefactMask([1000, 1000, 1200, 1000, 1000])[2]).toBe(true);
    expect(artefactMask([1000, 1000, 1201, 1000, 1000])[2]).toBe(false);
  });

  it('agrees with an independent O(n²) reference on 200 random recordings with artefacts', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rr = recording(seed, 20 + (seed % 90));
      const breaks = rr.map((_, i) => i > 0 && i % 37 === 0);
      const ref = referenceRmssd(rr, breaks);
      expect(artefactMask(rr), `seed ${seed}`).toEqual(ref.kept);
      const got = rmssd(rr, artefactMask(rr), breaks);
      if (ref.value === undefined) expect(got).toBeUndefined();
      else expect(got, `seed ${seed}`).toBeCloseTo(ref.value, 9);
    }
  });
});

describe('HRV: rolling 60 s window', () => {
  it('matches the reference computed on the beats of the last 60 s, reading by reading', () => {
    const rr = recording(7, 400, 700);
    const roll = new RollingRmssd();
    const t0 = 1_800_000_000_000;
    let at = t0;
    const beatsAt: number[] = [];
    let checked = 0;
    for (let i = 0; i < rr.length; i += 2) {
      const chunk = rr.slice(i, i + 2);
      for (const x of chunk) { at += x; beatsAt.push(at); }
      const v = roll.add(at, chunk);
      // Reference: the beats in (at − 60 s, at], with the two before them as median context.
      const firstIn = beatsAt.findIndex((b) => b > at - 60_000);
      const ctx = Math.max(0, firstIn - 2);
      const all = rr.slice(ctx, beatsAt.length);
      const ref = referenceRmssd(all);
      const keptIn = ref.kept.map((k, j) => k && j >= firstIn - ctx);
      const diffs: number[] = [];
      for (let j = 1; j < all.length; j++) if (keptIn[j] && keptIn[j - 1]) diffs.push(all[j]! - all[j - 1]!);
      if (diffs.length < 10) { expect(v).toBeUndefined(); continue; }
      const want = Math.sqrt(diffs.reduce((s, d) => s + d * d, 0) / diffs.length);
      expect(v!.rmssd).toBeCloseTo(want, 9);
      expect(v!.lnRmssd).toBeCloseTo(Math.log(want), 9);
      expect(v!.beats).toBe(all.length - (firstIn - ctx));
      checked++;
    }
    expect(checked).toBeGreaterThan(150);
  });

  it('ignores repeats, and a gap in the signal breaks the sequence', () => {
    const roll = new RollingRmssd({ minDiffs: 1 });
    expect(roll.add(10_000, [800, 820])?.rmssd).toBeCloseTo(20, 12);
    expect(roll.add(10_000, [800, 820])).toBeUndefined();
    // 20 s later: the first new interval does not follow 820 (no 820→800 difference)
    const v = roll.add(30_000, [800, 800]);
    expect(v!.rmssd).toBeCloseTo(Math.sqrt((400 + 0) / 2), 12);
    // a tracker keeps one state per athlete
    const tr = new HrvTracker();
    tr.add('a', 1000, [800]);
    expect(tr.add('b', 2000, [800])).toBeUndefined();
  });
});

describe('HRV: morning RMSSD', () => {
  const day = Date.parse('2026-11-24T00:00:00Z');
  const h = (x: number) => day + x * 3600_000;
  it('takes waking from the end of the last sleep session that day', () => {
    expect(wakingTime(day, [h(-20), h(6.5), h(3)], [])).toBe(h(6.5));
    const values = [{ at: h(6.4), rmssd: 10 }, { at: h(6.6), rmssd: 50 }, { at: h(6.7), rmssd: 60 }, { at: h(6.9), rmssd: 70 }, { at: h(7.1), rmssd: 90 }];
    // window 6:30–7:00 → 50, 60, 70 → median 60
    expect(morningRmssd(day, values, [h(6.5)], [])).toBe(60);
  });
  it('without sleep data, waking is the first reading after ≥ 3 h without any', () => {
    const readings = [h(-1), h(0.5), h(1), h(5), h(5.2)];
    // 0:30 follows 23:00 by 1.5 h; 5:00 follows 1:00 by 4 h
    expect(wakingTime(day, [], readings)).toBe(h(5));
    expect(morningRmssd(day, [{ at: h(5.1), rmssd: 42 }], [], readings)).toBe(42);
  });
  it('none when nothing was read in the 30 minutes after waking, or no waking is known', () => {
    expect(morningRmssd(day, [{ at: h(8), rmssd: 42 }], [h(7)], [])).toBeUndefined();
    expect(wakingTime(day, [], [h(-1), h(1)])).toBeUndefined();
  });
});
