import { describe, expect, it } from 'vitest';
import { CanonicalEvent, GoalCreate, GoalUpdate, METRICS, MANUAL_METRICS, ServerMessage, storableProblems } from '@pulsehub/contracts';

const base = { id: 'e1', userId: 'ana', deviceId: 'manual', source: { adapter: 'manual', receivedAt: '2026-11-23T08:00:00Z' } };

describe('issue 13 record kinds', () => {
  it('uses the ids, components and units agreed with the phone app', () => {
    expect(Object.keys(METRICS.food.components)).toEqual(['energy', 'protein', 'carbs', 'fat', 'water']);
    expect(METRICS.food.components.water.unit).toBe('mL');
    expect(METRICS.sleep.components.quality).toMatchObject({ unit: '{score}', min: 1, max: 10 });
    expect(METRICS.sleep.components.efficiency.unit).toBe('%');
    expect(METRICS.mindfulness).toMatchObject({ time: 'interval', primary: 'duration' });
    expect(METRICS.mindfulness.components.kind.unit).toBe('{mindfulness}');
    expect(METRICS.mindfulness.components.mood_before).toMatchObject({ unit: '{score}', min: 1, max: 5 });
    expect(METRICS.timer_session.components.duration.unit).toBe('s');
    expect(METRICS.timer_session.series.laps.unit).toBe('s');
    for (const m of MANUAL_METRICS) expect(METRICS[m]).toBeDefined();
  });

  it('food needs at least one value; notes are food-only, bounded and storable', () => {
    const food = { ...base, metric: 'food', time: { at: '2026-11-23T08:00:00Z' }, values: {}, notes: { meal: 'lunch' } };
    expect(CanonicalEvent.safeParse(food).success).toBe(false);
    expect(CanonicalEvent.safeParse({ ...food, values: { energy: { value: 500, unit: 'kcal' } } }).success).toBe(true);
    expect(CanonicalEvent.safeParse({ ...food, values: { energy: { value: 500, unit: 'kcal' } }, notes: { meal: 'brunch' } }).success).toBe(false);
    expect(CanonicalEvent.safeParse({ ...food, values: { energy: { value: 500, unit: 'kcal' } }, notes: { description: 'x'.repeat(501) } }).success).toBe(false);
    const bp = { ...base, metric: 'blood_pressure', time: { at: '2026-11-23T08:00:00Z' }, values: { systolic: { value: 120, unit: 'mm[Hg]' }, diastolic: { value: 80, unit: 'mm[Hg]' } } };
    expect(CanonicalEvent.safeParse({ ...bp, notes: { description: 'after a run' } }).success).toBe(false);
    expect(storableProblems({ ...food, notes: { description: 'a\u0000b' } }).map((p) => p.reason)).toEqual(['PH_INGEST_UNSTORABLE_TEXT']);
    expect(storableProblems({ ...food, notes: { description: 'lone \uD800' } })).toHaveLength(1);
  });

  it('goal bodies: defaults per kind, and a 400 message naming each bad field', () => {
    expect(GoalCreate.parse({ kind: 'weekly_workouts', target: 3 })).toMatchObject({ frequency: 'weekly', status: 'active', priority: 3 });
    const bad = GoalCreate.safeParse({ kind: 'daily_steps', target: 0, priority: 9, status: 'paused' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path[0]).sort()).toEqual(['priority', 'status', 'target']);
    expect(GoalCreate.safeParse({ kind: 'target_weight', target: 70 }).success).toBe(false); // once: needs a targetDate
    expect(GoalUpdate.safeParse({}).success).toBe(false);
    expect(GoalUpdate.safeParse({ kind: 'bp_under' }).success).toBe(false);
  });

  it('goal frames are part of the live protocol', () => {
    const period = { start: '2026-11-23', end: '2026-11-29', value: 35, target: 30, fraction: 1, met: true };
    expect(ServerMessage.parse({ type: 'goal-reached', athlete: 'ana', goalId: 'g1', kind: 'weekly_mindfulness_minutes', period, streak: 2, at: '2026-11-23T08:00:00Z' }).type).toBe('goal-reached');
    expect(ServerMessage.safeParse({ type: 'goal', athlete: 'ana', goalId: 'g1', kind: 'nope', period, streak: 0 }).success).toBe(false);
  });
});
