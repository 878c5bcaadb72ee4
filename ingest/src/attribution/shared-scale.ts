/**
 * Who stepped on a shared scale? A family's one scale is bound to several people; a weigh-in
 * carries a weight (and, on body-composition scales, an impedance) but no name. This module
 * decides from each candidate's recent weigh-ins — pure, no I/O: the gateway knows which users
 * a scale is bound to, the hub knows their recent weights, and the caller brings both.
 *
 * The rule, kept simple enough to explain to the family:
 *  - a candidate's expected weight is their latest weigh-in, moved along their recent trend
 *    (least-squares slope over the last `trendDays`, capped at ±`maxTrendKgPerWeek`) to the
 *    time of this weigh-in, so a steady loss or gain over weeks does not drift out of reach;
 *  - the weight tolerance is `toleranceKg` plus `driftKgPerWeek` for every week since their
 *    latest weigh-in (people change while they do not weigh themselves), at most
 *    `maxToleranceKg`; the impedance, when both sides have one, must be within
 *    `impedanceTolerance` (relative) — it separates two people of about the same weight;
 *  - exactly one candidate within tolerance, and clearly nearer than any other → that
 *    candidate. Nobody within tolerance (a guest, or someone with no history) → pending,
 *    `unknown`. Two or more within tolerance and not clearly apart → pending, `ambiguous`.
 *    A pending reading is never stored as anyone's fact: a person assigns it.
 * "Clearly nearer": the runner-up's weight deviation exceeds the best one's by at least
 * `marginKg` (two people 0.3 kg apart cannot be told apart by a scale), and the best
 * normalized distance (deviation / tolerance) is at most `separation` times the runner-up's.
 */
export interface WeighInSample {
  readonly at: number; // ms since epoch
  readonly kg: number;
  readonly impedanceOhm?: number;
}

export interface Candidate {
  readonly userId: string;
  /** Recent weigh-ins of this user (any order), from any source the hub trusts. */
  readonly recent: readonly WeighInSample[];
}

export interface AttributionOptions {
  readonly toleranceKg: number;
  readonly driftKgPerWeek: number;
  readonly maxToleranceKg: number;
  readonly impedanceTolerance: number;
  readonly trendDays: number;
  readonly maxTrendKgPerWeek: number;
  /** History older than this is ignored (a person's weight a year ago says little). */
  readonly historyDays: number;
  readonly separation: number;
  readonly marginKg: number;
}

export const DEFAULT_ATTRIBUTION: AttributionOptions = {
  toleranceKg: 1.2,
  driftKgPerWeek: 0.3,
  maxToleranceKg: 4,
  impedanceTolerance: 0.1,
  trendDays: 42,
  maxTrendKgPerWeek: 1,
  historyDays: 180,
  separation: 0.5,
  marginKg: 0.5,
};

export interface Score {
  readonly userId: string;
  readonly expectedKg: number;
  readonly toleranceKg: number;
  /** |weight − expected| in kg. */
  readonly deviationKg: number;
  /** deviation / tolerance: ≤ 1 is within tolerance. */
  readonly distance: number;
  readonly impedanceMatches: boolean | undefined;
  readonly within: boolean;
}

export type Attribution =
  | { readonly kind: 'assigned'; readonly userId: string; readonly scores: readonly Score[] }
  | { readonly kind: 'pending'; readonly reason: 'unknown' | 'ambiguous'; readonly scores: readonly Score[] };

const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** Least-squares slope (kg per ms) of the samples; 0 with fewer than two distinct times. */
function slope(samples: readonly WeighInSample[]): number {
  if (samples.length < 2) return 0;
  const mt = samples.reduce((s, x) => s + x.at, 0) / samples.length;
  const mk = samples.reduce((s, x) => s + x.kg, 0) / samples.length;
  let num = 0;
  let den = 0;
  for (const x of samples) {
    num += (x.at - mt) * (x.kg - mk);
    den += (x.at - mt) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function scoreOf(c: Candidate, w: WeighInSample, o: AttributionOptions): Score | undefined {
  const history = c.recent.filter((s) => s.at <= w.at && w.at - s.at <= o.historyDays * DAY).sort((a, b) => a.at - b.at);
  const latest = history.at(-1);
  if (latest === undefined) return undefined;
  const trendWindow = history.filter((s) => latest.at - s.at <= o.trendDays * DAY);
  const maxSlope = o.maxTrendKgPerWeek / WEEK;
  const trend = Math.max(-maxSlope, Math.min(maxSlope, slope(trendWindow)));
  const expectedKg = latest.kg + trend * (w.at - latest.at);
  const toleranceKg = Math.min(o.maxToleranceKg, o.toleranceKg + (o.driftKgPerWeek * (w.at - latest.at)) / WEEK);
  const deviationKg = Math.abs(w.kg - expectedKg);
  const distance = deviationKg / toleranceKg;
  // the most recent impedance of this person, if they have one and so does this weigh-in
  const z = [...history].reverse().find((s) => s.impedanceOhm !== undefined)?.impedanceOhm;
  const impedanceMatches = z === undefined || w.impedanceOhm === undefined ? undefined : Math.abs(w.impedanceOhm - z) / z <= o.impedanceTolerance;
  return { userId: c.userId, expectedKg, toleranceKg, deviationKg, distance, impedanceMatches, within: distance <= 1 && impedanceMatches !== false };
}

export function attributeWeighIn(w: WeighInSample, candidates: readonly Candidate[], options: Partial<AttributionOptions> = {}): Attribution {
  const o = { ...DEFAULT_ATTRIBUTION, ...options };
  const scores = candidates
    .map((c) => scoreOf(c, w, o))
    .filter((s): s is Score => s !== undefined)
    .sort((a, b) => a.distance - b.distance);
  const within = scores.filter((s) => s.within);
  const [best, second] = within;
  if (best === undefined) return { kind: 'pending', reason: 'unknown', scores };
  if (second !== undefined && (second.deviationKg - best.deviationKg < o.marginKg || best.distance > o.separation * second.distance)) {
    return { kind: 'pending', reason: 'ambiguous', scores };
  }
  return { kind: 'assigned', userId: best.userId, scores };
}
