import { heldSeconds, MAX_GAP_SECONDS, sortedReadings, type HrReading } from './readings.js';

/**
 * Energy expenditure from heart rate, Keytel et al. 2005 ("Prediction of energy expenditure
 * from heart rate monitoring during submaximal exercise", J Sports Sci 23(3):289–297), the
 * equation without VO2max. It gives kJ/min; we divide by 4.184 for kcal/min:
 *
 *   male:   (−55.0969 + 0.6309 × HR + 0.1988 × weight + 0.2017 × age) / 4.184
 *   female: (−20.4022 + 0.4472 × HR − 0.1263 × weight + 0.0740 × age) / 4.184
 *
 * HR in bpm, weight in kg, age in years. The study fitted it for HR roughly 90–150 bpm during
 * exercise; at rest it is unreliable, so a negative result is reported as 0. When the sex is
 * not known (`unspecified`), the mean of the two equations' results.
 */
export type Sex = 'male' | 'female';

export interface KeytelProfile {
  sex: Sex | 'unspecified';
  weightKg: number;
  age: number;
}

export function keytelKcalPerMinute(bpm: number, p: KeytelProfile): number {
  if (p.sex === 'unspecified') return (keytelKcalPerMinute(bpm, { ...p, sex: 'male' }) + keytelKcalPerMinute(bpm, { ...p, sex: 'female' })) / 2;
  const kj = p.sex === 'male'
    ? -55.0969 + 0.6309 * bpm + 0.1988 * p.weightKg + 0.2017 * p.age
    : -20.4022 + 0.4472 * bpm - 0.1263 * p.weightKg + 0.074 * p.age;
  return Math.max(0, kj / 4.184);
}

/**
 * kcal over a series of readings: each reading's rate holds until the next one, at most
 * `maxGapSeconds` (default 60, `heldSeconds`); the last reading contributes nothing.
 */
export function keytelKcal(readings: readonly HrReading[], p: KeytelProfile, maxGapSeconds = MAX_GAP_SECONDS): number {
  const sorted = sortedReadings(readings);
  let kcal = 0;
  for (let i = 0; i + 1 < sorted.length; i++) {
    kcal += keytelKcalPerMinute(sorted[i]!.bpm, p) * (heldSeconds(sorted[i]!.t, sorted[i + 1]!.t, maxGapSeconds) / 60);
  }
  return kcal;
}
