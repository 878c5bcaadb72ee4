import { z } from 'zod';
import type { CanonicalEvent, MetricId } from '@pulsehub/contracts';
import { defineAdapter, type AdapterContext } from './types.js';
import { buildEvent, fromEpochSeconds, type ValueInput } from './util.js';

/**
 * A Withings-style measure group, as returned by the Withings API `measure?action=getmeas`
 * (`body.measuregrps[]`) or pushed one at a time. Each measure is `value × 10^unit` in the
 * unit the meastype defines. Groups of category 2 (user objectives, not measurements) are
 * skipped, as are meastypes we have no metric for (pulse-wave velocity, VO2 max, ...).
 *
 *   { "grpid": 12, "attrib": 0, "date": 1594245600, "category": 1,
 *     "measures": [{ "value": 72345, "type": 1, "unit": -3 }] }   →  body_weight 72.345 kg
 */
const Measure = z.object({ value: z.number().int(), type: z.number().int(), unit: z.number().int().min(-20).max(20) });
const Group = z.object({
  grpid: z.number().int(),
  attrib: z.number().int().optional(),
  date: z.number().int().positive(),
  category: z.number().int(),
  measures: z.array(Measure).max(200),
});
const Format = z.literal('withings.v1').optional();
export const WithingsPayload = z.union([
  Group.extend({ format: Format }),
  z.object({ format: Format, measuregrps: z.array(Group).max(1000) }),
]);
export type WithingsPayload = z.infer<typeof WithingsPayload>;
type Group = z.infer<typeof Group>;

/** meastype → where it goes. Units are the ones Withings documents for each type. */
const MEASTYPES: Readonly<Record<number, readonly [MetricId, string, string]>> = {
  1: ['body_weight', 'kg', 'kg'],
  4: ['body_weight', 'height', 'm'],
  5: ['body_composition', 'fat_free_mass', 'kg'],
  6: ['body_composition', 'fat_percent', '%'],
  8: ['body_composition', 'fat_mass', 'kg'],
  9: ['blood_pressure', 'diastolic', 'mmHg'],
  10: ['blood_pressure', 'systolic', 'mmHg'],
  11: ['blood_pressure', 'pulse', '/min'],
  12: ['body_temperature', 'celsius', 'Cel'],
  54: ['spo2', 'percent', '%'],
  71: ['body_temperature', 'celsius', 'Cel'],
  76: ['body_composition', 'muscle_mass', 'kg'],
  77: ['body_composition', 'water_mass', 'kg'],
  88: ['body_composition', 'bone_mass', 'kg'],
};

/** value × 10^unit, dividing for negative exponents so 72345 × 10^-3 is exactly 72.345. */
export const scaled = (value: number, unit: number): number => (unit < 0 ? value / 10 ** -unit : value * 10 ** unit);

function groupToEvents(g: Group, ctx: AdapterContext): CanonicalEvent[] {
  if (g.category !== 1) return [];
  const byMetric = new Map<MetricId, ValueInput[]>();
  for (const m of g.measures) {
    const target = MEASTYPES[m.type];
    if (!target) continue;
    const [metric, component, unit] = target;
    byMetric.set(metric, [...(byMetric.get(metric) ?? []), [component, scaled(m.value, m.unit), unit]]);
  }
  // A heart pulse without a blood pressure is a heart-rate reading (scales measure it too);
  // a height without a weight is profile data, not a reading.
  const bp = byMetric.get('blood_pressure');
  if (bp && !bp.some(([c]) => c === 'systolic' || c === 'diastolic')) {
    byMetric.delete('blood_pressure');
    byMetric.set('heart_rate', bp.map(([, v, u]) => ['bpm', v, u] as const));
  }
  const weight = byMetric.get('body_weight');
  if (weight && !weight.some(([c]) => c === 'kg')) byMetric.delete('body_weight');
  const time = { at: fromEpochSeconds(g.date) };
  return [...byMetric].map(([metric, values]) => buildEvent('withings.v1', ctx, { id: `withings-${g.grpid}-${metric}`, metric, time, values }));
}

export const withingsV1 = defineAdapter({
  id: 'withings.v1',
  description: 'Withings-style measure groups (getmeas): value × 10^unit by meastype',
  schema: WithingsPayload,
  normalize(input, ctx) {
    const groups = 'measuregrps' in input ? input.measuregrps : [input as Group];
    return groups.flatMap((g) => groupToEvents(g, ctx));
  },
});
