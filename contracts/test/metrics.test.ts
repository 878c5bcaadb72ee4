import { describe, expect, it } from 'vitest';
import { BP_STATUS, CanonicalEvent, METRIC_IDS, METRICS, WORKOUT_SPORTS, checkAgainstCatalog, metricSpec, sportCode, type MetricSpec } from '@pulsehub/contracts';

/** LOINC's Mod 10 check digit (loinc.org "Calculating Mod 10 check digits"): catches mistyped codes. */
function loincCheckDigitOk(code: string): boolean {
  const m = /^(\d{1,7})-(\d)$/.exec(code);
  if (!m) return false;
  const digits = [...m[1]!].map(Number).reverse();
  let sum = 0;
  digits.forEach((d, i) => {
    const v = i % 2 === 0 ? d * 2 : d;
    sum += v > 9 ? v - 9 : v;
  });
  return (10 - (sum % 10)) % 10 === Number(m[2]);
}

// "1" is UCUM unity (a dimensionless value such as ln(RMSSD)).
const UCUM_LIKE = /^(1|\{[a-z]+\}|\/min|%|mm\[Hg\]|Cel|mg\/dL|kg\/m2|kcal\/d|[A-Za-z]+(\/[a-z]+)?)$/;

describe('metric catalog', () => {
  it('the check-digit helper itself rejects a wrong digit', () => {
    expect(loincCheckDigitOk('8867-4')).toBe(true);
    expect(loincCheckDigitOk('8867-5')).toBe(false);
    expect(loincCheckDigitOk('29463-7')).toBe(true);
  });

  it('keeps the ids and units other code relies on', () => {
    expect(METRICS.heart_rate.components.bpm.unit).toBe('/min');
    expect(METRICS.heart_rate.series.rr.unit).toBe('ms');
    expect(METRICS.steps.components.count.unit).toBe('{steps}');
    expect(METRICS.distance.components.meters.unit).toBe('m');
    expect(METRICS.active_energy.components.kcal.unit).toBe('kcal');
    expect(METRICS.body_weight.components.kg.unit).toBe('kg');
  });

  it('covers the metrics of issue 5', () => {
    for (const id of ['bmi', 'body_composition', 'blood_pressure', 'spo2', 'body_temperature', 'blood_glucose', 'cycling', 'running', 'rowing', 'sleep', 'workout']) {
      expect(METRIC_IDS).toContain(id);
    }
  });

  describe.each(METRIC_IDS)('%s', (id) => {
    const spec: MetricSpec = metricSpec(id);
    it('has a valid LOINC code, or says why not', () => {
      expect(spec.id).toBe(id);
      if (spec.loinc === undefined) expect(spec.loincNote?.length).toBeGreaterThan(20);
      else expect(loincCheckDigitOk(spec.loinc), spec.loinc).toBe(true);
    });
    it('has components with units, sane ranges and valid LOINC codes', () => {
      expect(Object.keys(spec.components)).toContain(spec.primary);
      for (const [name, comp] of Object.entries(spec.components)) {
        expect(comp.unit, name).toMatch(UCUM_LIKE);
        expect(comp.min, name).toBeLessThan(comp.max);
        if (comp.loinc !== undefined) expect(loincCheckDigitOk(comp.loinc), `${name} ${comp.loinc}`).toBe(true);
      }
    });
  });

  it('documents the blood-pressure status bits within the component range', () => {
    const all = Object.values(BP_STATUS).reduce((a, b) => a | b, 0);
    expect(all).toBeLessThanOrEqual(METRICS.blood_pressure.components.status.max);
    expect(BP_STATUS.irregularPulse).toBe(4);
  });

  it('numbers sports by their place in the list', () => {
    expect(sportCode('other')).toBe(0);
    expect(sportCode('running')).toBe(2);
    expect(WORKOUT_SPORTS[sportCode('cycling')]).toBe('cycling');
    expect(WORKOUT_SPORTS.length - 1).toBeLessThanOrEqual(METRICS.workout.components.sport.max);
  });
});

const base = {
  id: 'e1', userId: 'ana', deviceId: 'cuff1',
  source: { adapter: 'test', receivedAt: '2026-03-01T08:00:00Z' },
};

describe('range rejection', () => {
  it('accepts a plausible blood pressure', () => {
    const ok = CanonicalEvent.safeParse({ ...base, metric: 'blood_pressure', time: { at: '2026-03-01T07:59:00Z' }, values: { systolic: { value: 121, unit: 'mm[Hg]' }, diastolic: { value: 79, unit: 'mm[Hg]' } } });
    expect(ok.success).toBe(true);
  });

  it.each([
    ['blood_pressure', { systolic: { value: 400, unit: 'mm[Hg]' }, diastolic: { value: 80, unit: 'mm[Hg]' } }],
    ['spo2', { percent: { value: 101, unit: '%' } }],
    ['body_temperature', { celsius: { value: 98.6, unit: 'Cel' } }],
    ['blood_glucose', { glucose: { value: 5, unit: 'mg/dL' } }],
    ['body_composition', { fat_percent: { value: 90, unit: '%' } }],
  ] as const)('rejects %s outside its range', (metric, values) => {
    const event = { ...base, metric, time: { at: '2026-03-01T07:59:00Z' }, values };
    const problems = checkAgainstCatalog(event, METRICS[metric]);
    expect(problems.map((p) => p.reason)).toEqual(['PH_EVENT_OUT_OF_RANGE']);
    expect(CanonicalEvent.safeParse(event).success).toBe(false);
  });

  it('requires an interval for sleep and workouts', () => {
    const sleep = { ...base, metric: 'sleep' as const, time: { at: '2026-03-01T07:00:00Z' }, values: { asleep: { value: 420, unit: 'min' } } };
    expect(checkAgainstCatalog(sleep, METRICS.sleep).map((p) => p.reason)).toEqual(['PH_EVENT_WRONG_TIME_KIND']);
  });

  it('requires the sport and duration of a workout', () => {
    const w = { ...base, metric: 'workout' as const, time: { start: '2026-03-01T07:00:00Z', end: '2026-03-01T08:00:00Z' }, values: { energy: { value: 500, unit: 'kcal' } } };
    expect(checkAgainstCatalog(w, METRICS.workout).map((p) => p.reason).sort()).toEqual(['PH_EVENT_MISSING_COMPONENT', 'PH_EVENT_MISSING_COMPONENT']);
  });
});
