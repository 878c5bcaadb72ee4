/**
 * Trend and correlation math for insights and the scheduled alert rules: pure, so the
 * rule engine (ingest) and the insights API (web) compute the same numbers.
 */

/** Pearson's r of paired samples; null when fewer than 2 pairs or a side does not vary. */
export function pearson(xs: readonly number[], ys: readonly number[]): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

const mean = (v: readonly number[]): number | null => (v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length);

export interface RestingTrend {
  /** Mean resting HR of the last 7 days with a value, and how many days it had. */
  recentMean: number | null;
  recentDays: number;
  /** Mean of the 28 days before those 7 (the baseline), and its days. */
  baselineMean: number | null;
  baselineDays: number;
  /** recent − baseline (bpm), when both exist. */
  delta: number | null;
}

/**
 * Resting HR 7-day mean against the 28-day baseline before it. `days` are YYYY-MM-DD with a
 * resting HR (or null); `today` is the last day of the recent window.
 */
export function restingTrend(days: readonly { day: string; resting: number | null }[], today: string): RestingTrend {
  const t = Date.parse(`${today}T00:00:00Z`);
  const recent: number[] = [];
  const baseline: number[] = [];
  for (const d of days) {
    if (d.resting === null) continue;
    const ago = Math.round((t - Date.parse(`${d.day}T00:00:00Z`)) / 86_400_000);
    if (ago >= 0 && ago < 7) recent.push(d.resting);
    else if (ago >= 7 && ago < 35) baseline.push(d.resting);
  }
  const r = mean(recent);
  const b = mean(baseline);
  return { recentMean: r, recentDays: recent.length, baselineMean: b, baselineDays: baseline.length, delta: r !== null && b !== null ? r - b : null };
}

/**
 * Largest relative change (%) between two weigh-ins at most 7 days apart, with them; null
 * with fewer than two. `points` are [epoch ms, kg], any order.
 */
export function weeklyWeightChange(points: readonly (readonly [number, number])[]): { percent: number; from: number; to: number; fromAt: number; toAt: number } | null {
  const p = [...points].sort((a, b) => a[0] - b[0]);
  let best: { percent: number; from: number; to: number; fromAt: number; toAt: number } | null = null;
  for (let i = 0; i < p.length; i++) {
    for (let j = i + 1; j < p.length && p[j]![0] - p[i]![0] <= 7 * 86_400_000; j++) {
      const percent = ((p[j]![1] - p[i]![1]) / p[i]![1]) * 100;
      if (!best || Math.abs(percent) > Math.abs(best.percent)) best = { percent, from: p[i]![1], to: p[j]![1], fromAt: p[i]![0], toAt: p[j]![0] };
    }
  }
  return best;
}
