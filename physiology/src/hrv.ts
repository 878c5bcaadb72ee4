/**
 * Heart-rate variability from RR intervals (BLE 0x2A37 and `pulsehub.v1` carry them as the
 * `rr` series of a heart-rate reading, in ms). Pure and dependency-free on purpose: the hub,
 * the live server and the pages can all import it.
 *
 * Artefact correction (a percentage filter against a local median, as in Malik et al. and
 * Kamath & Fallen's "percentage filter": an NN interval differing from its neighbourhood by
 * more than 20 % is treated as an ectopic beat or a missed/extra detection):
 *   1. drop intervals outside 300–2000 ms (200–30 bpm: not a sinus beat of an athlete);
 *   2. of what is left, drop an interval differing by more than 20 % from the median of the
 *      5-beat window centred on it (2 before, itself, 2 after; fewer at the ends).
 * RMSSD (Task Force of the ESC/NASPE, Circulation 1996;93:1043-65): the root mean square of the
 * differences between successive normal intervals. A difference is only taken between two
 * intervals that were adjacent in the recording (neither was dropped, no signal gap between
 * them), so a dropped beat never produces a fake long difference.
 */

export const RR_MIN_MS = 300;
export const RR_MAX_MS = 2000;
/** Largest relative deviation from the local median that still counts as a normal beat. */
export const RR_MAX_DEVIATION = 0.2;
/** Beats in the local-median window (centred). */
export const RR_MEDIAN_WINDOW = 5;
/** The rolling RMSSD window. */
export const RMSSD_WINDOW_MS = 60_000;
/** Fewest successive differences in the window before an RMSSD is reported. */
export const RMSSD_MIN_DIFFS = 10;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median of buf[0..n) (n ≤ 5), sorting it in place (insertion sort: no allocation per beat). */
function smallMedian(buf: Float64Array, n: number): number {
  for (let i = 1; i < n; i++) {
    const x = buf[i]!;
    let j = i - 1;
    while (j >= 0 && buf[j]! > x) {
      buf[j + 1] = buf[j]!;
      j--;
    }
    buf[j + 1] = x;
  }
  const mid = n >> 1;
  return n % 2 === 1 ? buf[mid]! : (buf[mid - 1]! + buf[mid]!) / 2;
}

/** Which intervals are kept (true) after the range and local-median filters. */
export function artefactMask(rr: readonly number[]): boolean[] {
  const idx: number[] = [];
  for (let i = 0; i < rr.length; i++) {
    const x = rr[i]!;
    if (Number.isFinite(x) && x >= RR_MIN_MS && x <= RR_MAX_MS) idx.push(i);
  }
  const kept = new Array<boolean>(rr.length).fill(false);
  const half = RR_MEDIAN_WINDOW >> 1;
  const buf = new Float64Array(RR_MEDIAN_WINDOW);
  for (let k = 0; k < idx.length; k++) {
    const lo = Math.max(0, k - half);
    const hi = Math.min(idx.length, k + half + 1);
    for (let j = lo; j < hi; j++) buf[j - lo] = rr[idx[j]!]!;
    const med = smallMedian(buf, hi - lo);
    const x = rr[idx[k]!]!;
    kept[idx[k]!] = Math.abs(x - med) <= RR_MAX_DEVIATION * med;
  }
  return kept;
}

/**
 * RMSSD (ms) of a recording: `breaks[i]` true means interval i does not follow interval i-1
 * (a signal gap). Undefined with fewer than `minDiffs` successive differences.
 */
export function rmssd(rr: readonly number[], kept: readonly boolean[] = artefactMask(rr), breaks?: readonly boolean[], minDiffs = 1): number | undefined {
  let sum = 0;
  let n = 0;
  for (let i = 1; i < rr.length; i++) {
    if (!kept[i] || !kept[i - 1] || breaks?.[i]) continue;
    const d = rr[i]! - rr[i - 1]!;
    sum += d * d;
    n++;
  }
  return n >= minDiffs && n > 0 ? Math.sqrt(sum / n) : undefined;
}

export interface HrvValue {
  /** RMSSD over the window, ms. */
  rmssd: number;
  /** ln(RMSSD in ms), the usual scale for day-to-day comparison. */
  lnRmssd: number;
  /** Intervals in the window, and how many the filters dropped. */
  beats: number;
  dropped: number;
}

interface Beat { at: number; rr: number; brk: boolean }

/**
 * One athlete's rolling RMSSD. A reading at `at` (ms) carrying intervals r1..rk places its
 * last beat at `at` and each earlier one an interval before (so beats of one reading keep
 * their spacing). The window holds the beats of the last 60 s before the newest one; a
 * reading that starts more than `gapMs` after the previous one begins a new segment.
 */
export class RollingRmssd {
  private beats: Beat[] = [];
  private lastAt = -Infinity;

  constructor(private readonly o: { windowMs?: number; minDiffs?: number; gapMs?: number } = {}) {}

  add(at: number, rr: readonly number[]): HrvValue | undefined {
    if (rr.length === 0 || at <= this.lastAt) return undefined; // out of order or a repeat
    const total = rr.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
    const brk = at - total - this.lastAt > (this.o.gapMs ?? 3000);
    let t = at - total;
    rr.forEach((x, i) => {
      t += Number.isFinite(x) ? x : 0;
      this.beats.push({ at: t, rr: x, brk: i === 0 && brk });
    });
    this.lastAt = at;
    const from = at - (this.o.windowMs ?? RMSSD_WINDOW_MS);
    let first = 0;
    while (first < this.beats.length && this.beats[first]!.at <= from) first++;
    // Keep two older beats: the median window of the first beats in the window needs them.
    this.beats = this.beats.slice(Math.max(0, first - 2));
    const offset = Math.min(first, 2);
    const rrs = this.beats.map((b) => b.rr);
    const kept = artefactMask(rrs).map((k, i) => k && i >= offset);
    const value = rmssd(rrs, kept, this.beats.map((b) => b.brk), this.o.minDiffs ?? RMSSD_MIN_DIFFS);
    if (value === undefined) return undefined;
    const inWindow = rrs.length - offset;
    const dropped = kept.slice(offset).filter((k) => !k).length;
    return { rmssd: value, lnRmssd: Math.log(value), beats: inWindow, dropped };
  }
}

/** Per-athlete rolling state (the hub keeps one of these). */
export class HrvTracker {
  private readonly perAthlete = new Map<string, RollingRmssd>();

  add(athlete: string, at: number, rr: readonly number[]): HrvValue | undefined {
    let r = this.perAthlete.get(athlete);
    if (!r) this.perAthlete.set(athlete, (r = new RollingRmssd()));
    return r.add(at, rr);
  }
}

/** A waking window: the 30 minutes after waking that the morning RMSSD is read from. */
export const MORNING_WINDOW_MS = 30 * 60_000;
/** Without sleep data, the first reading after this much silence is taken as waking. */
export const WAKE_SILENCE_MS = 3 * 3600_000;

/**
 * When the athlete woke on the day [dayStart, dayStart + 24 h):
 * - the end of the last sleep session that ends in that day, when there is sleep data;
 * - otherwise the first reading of the day that follows at least 3 h without any reading
 *   (readings of the previous evening count as "before"), a common proxy when only a
 *   wearable's stream is known (the strap goes on after getting up).
 * Undefined when neither applies.
 */
export function wakingTime(dayStart: number, sleepEnds: readonly number[], readingTimes: readonly number[]): number | undefined {
  const dayEnd = dayStart + 86_400_000;
  const ends = sleepEnds.filter((t) => t >= dayStart && t < dayEnd);
  if (ends.length > 0) return Math.max(...ends);
  const times = [...readingTimes].sort((a, b) => a - b);
  let prev = -Infinity;
  for (const t of times) {
    if (t >= dayStart && t < dayEnd && t - prev >= WAKE_SILENCE_MS) return t;
    prev = t;
  }
  return undefined;
}

/**
 * Morning RMSSD of a day: the median of the rolling RMSSD values computed in the 30 minutes
 * after waking (see `wakingTime`); undefined when there is no value in that window.
 */
export function morningRmssd(dayStart: number, values: readonly { at: number; rmssd: number }[], sleepEnds: readonly number[], readingTimes: readonly number[]): number | undefined {
  const wake = wakingTime(dayStart, sleepEnds, readingTimes);
  if (wake === undefined) return undefined;
  const inWindow = values.filter((v) => v.at >= wake && v.at <= wake + MORNING_WINDOW_MS).map((v) => v.rmssd);
  return inWindow.length > 0 ? median(inWindow) : undefined;
}
