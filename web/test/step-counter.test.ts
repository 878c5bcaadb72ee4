import { describe, expect, it } from 'vitest';
import { StepCounter, walkingTrace } from '../src/pages/app/steps.js';

function feed(counter: StepCounter, trace: { t: number; x: number; y: number; z: number }[]): StepCounter {
  for (const s of trace) counter.add(s.t, s.x, s.y, s.z);
  return counter;
}

describe('the phone step counter (peak detection with a cadence window)', () => {
  it.each([
    { steps: 100, cadence: 110, hz: 50, noise: 0.3 },
    { steps: 100, cadence: 110, hz: 20, noise: 0.6 },
    { steps: 240, cadence: 165, hz: 60, noise: 0.4, amplitude: 5 },
    { steps: 60, cadence: 80, hz: 30, noise: 0.2, amplitude: 1.5 },
  ])('counts a walking trace within 5 % ($steps steps at $cadence/min, $hz Hz)', (o) => {
    const c = feed(new StepCounter(), walkingTrace(o));
    expect(Math.abs(c.count - o.steps) / o.steps).toBeLessThanOrEqual(0.05);
  });

  it('counts nothing for a phone lying still (sensor noise only)', () => {
    const c = feed(new StepCounter(), walkingTrace({ steps: 0, cadence: 100, hz: 50, noise: 0.5, leadMs: 30_000 }));
    expect(c.count).toBe(0);
  });

  it('does not count a few bumps (picking the phone up), only a rhythm', () => {
    const c = new StepCounter();
    // Three steps' worth of bumps, then stillness: fewer than the cadence window needs.
    feed(c, walkingTrace({ steps: 3, cadence: 100, hz: 50, leadMs: 3000 }));
    expect(c.count).toBe(0);
  });

  it('ignores bumps closer together than a step can be', () => {
    // 400 "steps"/min is faster than anyone walks or runs: at most every other bump is a step.
    const c = feed(new StepCounter(), walkingTrace({ steps: 100, cadence: 400, hz: 100, noise: 0.1, amplitude: 3 }));
    expect(c.count).toBeLessThanOrEqual(60);
  });

  it('splits confirmed steps into minute buckets', () => {
    const c = feed(new StepCounter(), walkingTrace({ steps: 200, cadence: 100, hz: 40, leadMs: 0 }));
    const perMinute = [c.countBetween(0, 60_000), c.countBetween(60_000, 120_000)];
    expect(perMinute[0]).toBeGreaterThanOrEqual(95);
    expect(perMinute[0]).toBeLessThanOrEqual(101);
    expect(perMinute[0]! + perMinute[1]!).toBe(c.count);
  });
});
