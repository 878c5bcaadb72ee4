/**
 * Maximum heart rate: the athlete's measured value when known, else an age formula:
 *   tanaka  208 − 0.7 × age   (Tanaka, Monahan & Seals 2001; the default)
 *   fox     220 − age         (the classic rule of thumb)
 *   gulati  206 − 0.88 × age  (Gulati et al. 2010, derived in women)
 */
export type MaxHrFormula = 'tanaka' | 'fox' | 'gulati';

export interface HrProfile {
  /** Measured max HR (bpm): wins over any formula. */
  maxHr?: number;
  age?: number;
  formula?: MaxHrFormula;
}

export function maxHeartRate(p: HrProfile): number {
  if (p.maxHr !== undefined) return p.maxHr;
  if (p.age === undefined) throw new RangeError('max heart rate needs maxHr or age');
  switch (p.formula ?? 'tanaka') {
    case 'tanaka': return 208 - 0.7 * p.age;
    case 'fox': return 220 - p.age;
    case 'gulati': return 206 - 0.88 * p.age;
  }
}
