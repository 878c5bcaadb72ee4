import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { PulseHubError, UserId } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import { morningRmssd, wakingTime } from '@pulsehub/physiology';
import type { Store } from '@pulsehub/store';
import { visibleAthletes } from '../access.js';
import { requirePrincipal } from './auth.js';
import { parseBody } from './parse.js';

const Params = z.object({ id: UserId });
const Day = z.iso.date({ error: 'must be a day YYYY-MM-DD' });
const Query = z.object({ from: Day, to: Day }).strict()
  .refine((q) => q.from <= q.to, { path: ['to'], message: 'to must not be before from' })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 61 * 86_400_000, { path: ['to'], message: 'at most 62 days at a time' });

/**
 * Daily heart-rate variability rollup, from the stored hrv_rmssd readings (see
 * ingest/src/derived/hrv.ts for the definitions):
 *
 *   GET /api/users/:id/hrv/daily?from=YYYY-MM-DD&to=YYYY-MM-DD
 *     → { days: [{ day, morningRmssd, lnMorningRmssd, wakeAt, wakeFrom }] }
 *
 * Days are UTC days (as the other daily rollups). `wakeFrom` is `sleep` (end of the last sleep
 * session that day) or `silence` (first heart-rate reading after ≥ 3 h without one);
 * `morningRmssd` is null when no RMSSD was computed in the 30 minutes after waking.
 */
export function registerHrvRoutes(app: FastifyInstance, d: { store: Store; tokens: TokenService }): void {
  const repo = d.store.hrv;
  app.get('/api/users/:id/hrv/daily', async (req) => {
    const principal = await requirePrincipal(req, d.tokens);
    const { id } = parseBody(Params, req.params);
    const { allowed } = await visibleAthletes(principal, d.store, [id]);
    if (allowed.length === 0) throw new PulseHubError('PH_AUTH_FORBIDDEN', principal.kind === 'coach' ? `${id} has not granted you consent` : `a ${principal.kind} token may not read ${id}'s history`);
    const q = parseBody(Query, req.query);
    const days = [];
    for (let t = Date.parse(q.from); t <= Date.parse(q.to); t += 86_400_000) {
      const inputs = await repo.morningInputs(id, new Date(t));
      const readings = inputs.firstAfterSilence === null ? [] : [inputs.firstAfterSilence];
      const wake = wakingTime(t, inputs.sleepEnds, readings);
      const value = morningRmssd(t, inputs.values, inputs.sleepEnds, readings);
      days.push({
        day: new Date(t).toISOString().slice(0, 10),
        morningRmssd: value === undefined ? null : Math.round(value * 10) / 10,
        lnMorningRmssd: value === undefined ? null : Math.round(Math.log(value) * 1000) / 1000,
        wakeAt: wake === undefined ? null : new Date(wake).toISOString(),
        wakeFrom: wake === undefined ? null : inputs.sleepEnds.length > 0 ? 'sleep' : 'silence',
      });
    }
    return { userId: id, days };
  });
}
