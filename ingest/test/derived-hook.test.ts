import { describe, expect, it } from 'vitest';
import { CanonicalEvent, type CanonicalEvent as Event } from '@pulsehub/contracts';
import { RollingRmssd } from '@pulsehub/physiology';
import { createDerivedHook } from '../src/pipeline/derived-hook.js';

const t0 = Date.parse('2026-11-24T07:00:00Z');
const hr = (user: string, at: number, rr?: number[]): Event => ({
  id: `${user}-${at}`, userId: user, deviceId: `strap-${user}`, metric: 'heart_rate', time: { at: new Date(at).toISOString() },
  values: { bpm: { value: 70, unit: '/min' } }, ...(rr ? { series: { rr: { unit: 'ms', values: rr } } } : {}),
  source: { adapter: 'pulsehub.v1', receivedAt: new Date(at).toISOString() },
});

describe('derived-metrics hook: HRV from heart-rate readings with RR', () => {
  it('emits a valid hrv_rmssd reading per heart-rate reading once the window has enough beats, per athlete', () => {
    const derive = createDerivedHook();
    const ref = new RollingRmssd();
    const out: Event[] = [];
    let at = t0;
    for (let i = 0; i < 30; i++) {
      const rr = [850 + (i % 3) * 20, 870 - (i % 2) * 30];
      at += rr[0]! + rr[1]!;
      out.push(...derive([hr('ana', at, rr), hr('ben', at), hr('cy', at, [])]));
      const want = ref.add(at, rr);
      const got = out.at(-1);
      if (want) {
        expect(got?.time).toEqual({ at: new Date(at).toISOString() });
        expect(got?.values.rmssd?.value).toBeCloseTo(want.rmssd, 1);
        expect(got?.values.ln_rmssd?.value).toBeCloseTo(want.lnRmssd, 3);
      }
    }
    // 10 successive differences need 11 beats: readings 6.. (2 beats each) produce values
    expect(out).toHaveLength(25);
    for (const e of out) {
      expect(CanonicalEvent.safeParse(e).success).toBe(true);
      expect(e).toMatchObject({ userId: 'ana', deviceId: 'strap-ana', metric: 'hrv_rmssd', source: { adapter: 'pulsehub.derived' } });
    }
    // a redelivered reading derives nothing new
    expect(derive([hr('ana', at, [850, 870])])).toEqual([]);
  });
});
