import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { startTestWeb, type TestWeb } from '@pulsehub/testkit';

const source = { adapter: 'pulsehub.v1', receivedAt: '2026-11-23T00:00:00Z' };
let n = 0;
const ev = (metric: CanonicalEvent['metric'], time: CanonicalEvent['time'], values: CanonicalEvent['values']): CanonicalEvent => ({ id: `e${n++}`, userId: 'sam', deviceId: 'strap-sam', metric, time, values, source });
const hrv = (at: string, ms: number) => ev('hrv_rmssd', { at }, { rmssd: { value: ms, unit: 'ms' } });
const hr = (at: string) => ev('heart_rate', { at }, { bpm: { value: 60, unit: '/min' } });
const sleep = (start: string, end: string) => ev('sleep', { start, end }, { asleep: { value: 420, unit: 'min' } });

// The morning-RMSSD daily rollup over stored readings, through the REST route (fastify inject,
// no socket) on both storage targets.
describe.each(['pglite', 'postgres'] as const)('GET /api/users/:id/hrv/daily on %s', (kind) => {
  let t: TestWeb;
  beforeAll(async () => {
    t = await startTestWeb(kind);
    await t.store.users.upsert({ id: 'sam', name: 'Sam' });
    await t.store.observations.commitBatch({
      users: ['sam'], deadLetters: [],
      events: [
        // 20th: woke at 06:30 (sleep data); RMSSD before waking and after 07:00 does not count
        sleep('2026-11-19T23:30:00Z', '2026-11-20T06:30:00Z'),
        hrv('2026-11-20T06:20:00Z', 40), hrv('2026-11-20T06:35:00Z', 50), hrv('2026-11-20T06:50:00Z', 60),
        hrv('2026-11-20T06:58:00Z', 70), hrv('2026-11-20T07:10:00Z', 90),
        // 21st: no sleep data; readings at 22:00, 00:30 (2.5 h later: not waking), 05:00 (4.5 h later: waking)
        hr('2026-11-20T22:00:00Z'), hr('2026-11-21T00:30:00Z'), hr('2026-11-21T05:00:00Z'), hr('2026-11-21T05:05:00Z'),
        hrv('2026-11-21T05:10:00Z', 42),
        // 22nd: woke at 07:00, first RMSSD at 08:00: none
        sleep('2026-11-22T00:00:00Z', '2026-11-22T07:00:00Z'), hrv('2026-11-22T08:00:00Z', 55),
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('takes the median RMSSD of the 30 minutes after waking, from sleep data or else the first reading after 3 h of silence', async () => {
    const token = await t.token({ subject: 'sam', kind: 'athlete', users: ['sam'] });
    const res = await t.request<{ days: unknown[] }>(token, 'GET', '/api/users/sam/hrv/daily?from=2026-11-20&to=2026-11-23');
    expect(res.status).toBe(200);
    const { days } = res.body;
    expect(days).toEqual([
      { day: '2026-11-20', morningRmssd: 60, lnMorningRmssd: Math.round(Math.log(60) * 1000) / 1000, wakeAt: '2026-11-20T06:30:00.000Z', wakeFrom: 'sleep' },
      { day: '2026-11-21', morningRmssd: 42, lnMorningRmssd: Math.round(Math.log(42) * 1000) / 1000, wakeAt: '2026-11-21T05:00:00.000Z', wakeFrom: 'silence' },
      { day: '2026-11-22', morningRmssd: null, lnMorningRmssd: null, wakeAt: '2026-11-22T07:00:00.000Z', wakeFrom: 'sleep' },
      { day: '2026-11-23', morningRmssd: null, lnMorningRmssd: null, wakeAt: null, wakeFrom: null },
    ]);
  });

  it('refuses a coach without consent', async () => {
    const coach = await t.token({ subject: 'coach-x', kind: 'coach' });
    const res = await t.request<{ error?: { code: string } }>(coach, 'GET', '/api/users/sam/hrv/daily?from=2026-11-20&to=2026-11-20');
    expect(res.status).toBe(403);
    expect(res.body.error?.code).toBe('PH_AUTH_FORBIDDEN');
  });
});
