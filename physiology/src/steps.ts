/**
 * Steps → distance and steps → energy.
 *
 * Distance: steps × step length. A measured step length wins; otherwise it is estimated from
 * height as 0.415 × height (the common pedometer rule for walking; 0.413 for women is close
 * enough that we use one factor). The rule underestimates running, where steps are much
 * longer: pass a measured stride (a running pod's, or distance ÷ steps of a GPS run).
 * "Stride" in pedometer settings means this step length (heel to heel of opposite feet).
 *
 * Energy: MET × body mass × hours (1 MET ≈ 1 kcal per kg per hour). The MET comes from
 * cadence, following the CADENCE-Adults heuristic (Tudor-Locke et al., 2019): 100 steps/min
 * ≈ 3 METs, then +1 MET per 10 steps/min (130 ≈ 6 METs), continued linearly to 180 steps/min
 * (11 METs, close to the Compendium's running values) and capped there; below 100 steps/min
 * the MET falls linearly to 2.0 at 60 steps/min (Compendium: strolling < 2 mph, 2.0 METs) and
 * stays at 2.0 below that. Active energy is the part above rest: (MET − 1) × mass × hours.
 */
export const WALKING_STEP_FACTOR = 0.415;

export type StepLength = { strideM: number } | { heightM: number };

/** Step length in metres: measured, or 0.415 × height. */
export function stepLength(s: StepLength): number {
  return 'strideM' in s ? positive(s.strideM, 'strideM') : positive(s.heightM, 'heightM') * WALKING_STEP_FACTOR;
}

/** Distance in metres covered by `steps`. */
export function stepsToDistance(steps: number, s: StepLength): number {
  return nonNegative(steps, 'steps') * stepLength(s);
}

/** (cadence, MET) anchors, linearly interpolated; flat outside. */
export const CADENCE_METS: readonly (readonly [number, number])[] = [[60, 2.0], [100, 3.0], [130, 6.0], [180, 11.0]];

export function metFromCadence(cadence: number): number {
  const first = CADENCE_METS[0]!;
  const last = CADENCE_METS[CADENCE_METS.length - 1]!;
  if (cadence <= first[0]) return first[1];
  if (cadence >= last[0]) return last[1];
  for (let i = 1; i < CADENCE_METS.length; i++) {
    const [c1, m1] = CADENCE_METS[i]!;
    const [c0, m0] = CADENCE_METS[i - 1]!;
    if (cadence <= c1) return m0 + ((cadence - c0) / (c1 - c0)) * (m1 - m0);
  }
  return last[1];
}

export interface StepsEnergy {
  cadence: number;
  met: number;
  /** Total energy over the period, rest included. */
  grossKcal: number;
  /** Energy above resting: what `active_energy` stores. */
  activeKcal: number;
}

/** Energy of `steps` walked over `minutes` by a person of `weightKg`. */
export function stepsToEnergy(steps: number, minutes: number, weightKg: number): StepsEnergy {
  positive(minutes, 'minutes');
  positive(weightKg, 'weightKg');
  const cadence = nonNegative(steps, 'steps') / minutes;
  const met = metFromCadence(cadence);
  const hours = minutes / 60;
  return { cadence, met, grossKcal: met * weightKg * hours, activeKcal: (met - 1) * weightKg * hours };
}

function positive(v: number, name: string): number {
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number, got ${v}`);
  return v;
}
function nonNegative(v: number, name: string): number {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a non-negative number, got ${v}`);
  return v;
}
