import { describe, expect, it } from 'vitest';
import { METRIC_IDS, METRICS, PulseHubError, acceptedUnits, canonicalQuantity, toCanonical, type MetricId } from '@pulsehub/contracts';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof PulseHubError ? err.code : 'not a PulseHubError';
  }
  return undefined;
}

describe('toCanonical', () => {
  it.each([
    // metric, component, value, unit, expected (hand-computed)
    ['body_weight', 'kg', 165, 'lb', 74.84274105],        // 165 × 0.45359237
    ['body_weight', 'kg', 165, '[lb_av]', 74.84274105],
    ['body_weight', 'kg', 12, '[stone_av]', 76.20351816], // 12 × 14 × 0.45359237
    ['body_weight', 'kg', 72500, 'g', 72.5],
    ['body_weight', 'height', 180, 'cm', 1.8],
    ['body_weight', 'height', 70, '[in_i]', 1.778],        // 70 × 0.0254
    ['blood_pressure', 'systolic', 16, 'kPa', 120.00985],  // 16000 / 133.322387415
    ['blood_pressure', 'diastolic', 80, 'mmHg', 80],
    ['body_temperature', 'celsius', 98.6, '[degF]', 37],
    ['body_temperature', 'celsius', 100.4, '°F', 38],
    ['body_temperature', 'celsius', 310.15, 'K', 37],
    ['blood_glucose', 'glucose', 5.5, 'mmol/L', 99.0858],  // 5.5 × 18.0156
    ['blood_glucose', 'glucose', 1.1, 'g/L', 110],
    ['running', 'speed', 36, 'km/h', 10],
    ['cycling', 'speed', 20, 'mph', 8.9408],               // 20 × 0.44704
    ['cycling', 'power', 0.25, 'kW', 250],
    ['heart_rate', 'bpm', 1.2, 'Hz', 72],
    ['heart_rate', 'bpm', 60, 'count/min', 60],
    ['heart_rate', 'energy_expended', 100, 'kcal', 418.4],
    ['active_energy', 'kcal', 418.4, 'kJ', 100],
    ['distance', 'meters', 1, '[mi_i]', 1609.344],
    ['spo2', 'percent', 0.97, '1', 97],
    ['sleep', 'deep', 5400, 's', 90],
    ['sleep', 'asleep', 7.5, 'h', 450],
  ] as const)('%s.%s: %d %s', (metric, component, value, unit, expected) => {
    expect(toCanonical(metric, component, value, unit)).toBeCloseTo(expected, 4);
  });

  it('passes canonical values through unchanged', () => {
    expect(toCanonical('heart_rate', 'bpm', 71.5, '/min')).toBe(71.5);
  });

  it('throws PH_INGEST_UNKNOWN_UNIT for a unit it does not know, naming the accepted ones', () => {
    try {
      toCanonical('body_weight', 'kg', 10, 'furlong');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PulseHubError);
      const e = err as PulseHubError;
      expect(e.code).toBe('PH_INGEST_UNKNOWN_UNIT');
      expect(e.status).toBe(422);
      expect((e.details as { accepted: string[] }).accepted).toContain('[lb_av]');
    }
  });

  it('refuses a unit of the wrong dimension', () => {
    expect(codeOf(() => toCanonical('heart_rate', 'bpm', 70, 'kg'))).toBe('PH_INGEST_UNKNOWN_UNIT');
    expect(codeOf(() => toCanonical('body_temperature', 'celsius', 37, 'mmHg'))).toBe('PH_INGEST_UNKNOWN_UNIT');
  });

  it('offers mmol/L only for glucose, where the molar mass is known', () => {
    expect(codeOf(() => toCanonical('body_weight', 'kg', 5, 'mmol/L'))).toBe('PH_INGEST_UNKNOWN_UNIT');
    expect(acceptedUnits('blood_glucose', 'glucose')).toContain('mmol/L');
  });

  it('throws PH_INGEST_UNKNOWN_COMPONENT for a component the metric does not have', () => {
    expect(codeOf(() => toCanonical('heart_rate', 'systolic', 120, 'mmHg'))).toBe('PH_INGEST_UNKNOWN_COMPONENT');
    expect(codeOf(() => toCanonical('heart_rate', 'toString', 1, '/min'))).toBe('PH_INGEST_UNKNOWN_COMPONENT');
  });

  it('accepts every component in its own canonical unit', () => {
    for (const metric of METRIC_IDS) {
      for (const [name, comp] of Object.entries(METRICS[metric as MetricId].components)) {
        expect(toCanonical(metric, name, 1, comp.unit)).toBe(1);
        expect(acceptedUnits(metric, name)[0]).toBe(comp.unit);
      }
    }
  });

  it('builds a canonical quantity', () => {
    expect(canonicalQuantity('body_weight', 'kg', 72)).toEqual({ value: 72, unit: 'kg' });
    expect(canonicalQuantity('body_temperature', 'celsius', 212, '[degF]')).toEqual({ value: 100, unit: 'Cel' });
  });
});
