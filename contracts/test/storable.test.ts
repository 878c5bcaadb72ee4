import { describe, expect, it } from 'vitest';
import { instantProblem, isStorableText, storableProblems, toStorableText } from '@pulsehub/contracts';

const event = (over: Record<string, unknown> = {}) => ({
  id: 'w-1', userId: 'ana', deviceId: 'w', metric: 'heart_rate', time: { at: '2026-11-24T10:00:00Z' },
  values: { bpm: { value: 70, unit: '/min' } }, source: { adapter: 'pulsehub.v1', receivedAt: '2026-11-24T10:00:00.000Z' }, ...over,
});

describe('what Postgres can store', () => {
  it('text: no NUL, no lone surrogate; a surrogate pair is fine', () => {
    expect(isStorableText('ok 😀')).toBe(true);
    for (const s of ['a\u0000', '\ud800', 'x\udc00', '\ud83d']) expect(isStorableText(s), JSON.stringify(s)).toBe(false);
    expect(toStorableText('a\u0000b\ud800')).toBe('a\ufffdb\ufffd');
  });

  it('instants: years 1900..9999 in UTC, offsets within ±15:59, a form Postgres reads', () => {
    for (const ok of ['2026-11-24T10:00:00Z', '2026-11-24T10:00:00.123+15:59', '1900-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2026-11-24T10:00:00-1559']) expect(instantProblem(ok), ok).toBeNull();
    for (const bad of ['0000-01-01T00:00:00Z', '2026-11-24T10:00:00+23:59', '2026-11-24T10:00:00-16:00', '+275760-09-13T00:00:00.000Z', '1899-12-31T23:59:59Z',
      '1900-01-01T00:30:00+01:00', '9999-12-31T23:00:00-01:00', 'garbage']) expect(instantProblem(bad), bad).not.toBeNull();
  });

  it('checks every string and instant of an event, in the fast path and the slow one alike', () => {
    expect(storableProblems(event())).toEqual([]);
    expect(storableProblems(event({ id: 'x\ud800' })).map((p) => p.reason)).toEqual(['PH_INGEST_UNSTORABLE_TEXT']);
    // A high surrogate ending one field and a low one starting the next are not a pair.
    expect(storableProblems(event({ id: 'x\ud83d', userId: '\ude00' })).length).toBe(2);
    expect(storableProblems(event({ values: { 'b\u0000': { value: 1, unit: '/min' } } })).map((p) => p.path[0])).toEqual(['values']);
    expect(storableProblems(event({ time: { start: '1900-01-01T00:30:00+01:00', end: '2026-11-24T10:00:00Z' } })).map((p) => p.path.join('.'))).toEqual(['time.start']);
    expect(storableProblems(event({ source: { adapter: 'pulsehub.v1', receivedAt: '2026-11-24T10:00:00+23:59' } })).map((p) => p.reason)).toEqual(['PH_INGEST_UNSTORABLE_INSTANT']);
  });
});
