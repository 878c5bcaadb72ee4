import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { BucketsResponse, DailyResponse, LatestResponse, METRIC_IDS, METRICS, PulseHubError, UserId, type MetricId } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import type { Store } from '@pulsehub/store';
import { visibleAthletes } from '../access.js';
import { requirePrincipal } from './auth.js';
import { Instant, StorableText, parseBody } from './parse.js';
import { answer } from './answer.js';

/**
 * History API: what was stored for a user, for charts and for apps that sync.
 *
 *   GET /api/users/:id/observations?metric&from&to&bucket=60s   → { buckets: [{ t, min, avg, max, n }] }
 *   GET /api/users/:id/observations?metric&from&to[&limit&page]  → { events, next }   (raw readings)
 *   GET /api/users/:id/observations/latest[?metric]              → { events }        (newest per metric)
 *   GET /api/users/:id/daily?from=YYYY-MM-DD&to=YYYY-MM-DD        → { days }          (rollups)
 *   GET /api/users/:id/sync?cursor&limit[&metric]                → { events, cursor, more }
 *
 * Every route first checks the caller may see that user: the athlete, an admin, an overlay
 * scoped to them, or a coach while a consent row says so (403 otherwise).
 */

const MAX_BUCKETS = 20_000;
const MAX_RANGE_MS = 400 * 86_400_000;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

const Params = z.object({ id: UserId });
const Metric = z.enum(METRIC_IDS, { error: `metric must be one of ${METRIC_IDS.join(', ')}` });
const Bucket = z.string().regex(/^[1-9]\d{0,6}[smhd]$/, { error: 'bucket must be a number and a unit s, m, h or d, e.g. 60s, 5m, 1h, 1d' })
  .transform((s) => Number(s.slice(0, -1)) * UNIT_SECONDS[s.slice(-1) as keyof typeof UNIT_SECONDS]);
const Day = z.iso.date({ error: 'must be a day YYYY-MM-DD' });

/** Opaque continuation tokens: base64url of JSON, checked on the way back in. */
const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function decode<T>(schema: z.ZodType<T>, token: string, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const r = schema.safeParse(raw);
  if (!r.success) throw new PulseHubError('PH_WEB_BAD_REQUEST', `${what} is not one this API handed out`);
  return r.data;
}
const PageToken = z.object({ at: Instant, id: StorableText.min(1).max(200) }).strict();
const CursorToken = z.object({ txid: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), id: StorableText.min(1).max(200) }).strict();

const ObservationsQuery = z.object({
  metric: Metric,
  /** Component to aggregate (default: the metric's primary one, e.g. bpm). */
  component: z.string().regex(/^[a-z_]{1,40}$/).optional(),
  from: Instant,
  to: Instant,
  bucket: Bucket.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  page: z.string().max(400).optional(),
}).strict().superRefine((q, ctx) => {
  // zod runs this even when a field failed: check only what parsed.
  if (!(q.from instanceof Date) || !(q.to instanceof Date) || !(q.metric in METRICS)) return;
  if (q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' });
  else if (q.to.getTime() - q.from.getTime() > MAX_RANGE_MS) ctx.addIssue({ code: 'custom', path: ['to'], message: 'a range covers at most 400 days' });
  else if (q.bucket !== undefined && (q.to.getTime() - q.from.getTime()) / 1000 / q.bucket > MAX_BUCKETS) {
    ctx.addIssue({ code: 'custom', path: ['bucket'], message: `that bucket gives more than ${MAX_BUCKETS} buckets over this range; use a larger one` });
  }
  if (q.component !== undefined && !Object.hasOwn(METRICS[q.metric].components, q.component)) {
    ctx.addIssue({ code: 'custom', path: ['component'], message: `${q.metric} has no component "${q.component}" (known: ${Object.keys(METRICS[q.metric].components).join(', ')})` });
  }
  if (q.bucket !== undefined && q.page !== undefined) ctx.addIssue({ code: 'custom', path: ['page'], message: 'page continues raw readings; it does not go with bucket' });
});
const LatestQuery = z.object({ metric: Metric.optional() }).strict();
const DailyQuery = z.object({ from: Day, to: Day }).strict().refine((q) => q.from <= q.to, { path: ['to'], message: 'to must not be before from' })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 366 * 86_400_000, { path: ['to'], message: 'at most 367 days at a time' });
const SyncQuery = z.object({
  cursor: z.string().max(400).optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
  metric: Metric.optional(),
}).strict();

export function registerHistory(app: FastifyInstance, d: { store: Store; tokens: TokenService }): void {
  /** The user id of the route, once the caller is known to be allowed to see them. */
  const visibleUser = async (req: FastifyRequest): Promise<string> => {
    const principal = await requirePrincipal(req, d.tokens);
    const { id } = parseBody(Params, req.params);
    const { allowed } = await visibleAthletes(principal, d.store, [id]);
    if (allowed.length === 0) {
      req.log.info({ subject: principal.subject, kind: principal.kind, athlete: id, url: req.url.slice(0, 200) }, 'history refused: not visible to this principal');
      throw new PulseHubError('PH_AUTH_FORBIDDEN', principal.kind === 'coach' ? `${id} has not granted you consent` : `a ${principal.kind} token may not read ${id}'s history`);
    }
    if (!(await d.store.users.get(id))) throw new PulseHubError('PH_STORE_NOT_FOUND', `no user ${id}`);
    return id;
  };

  app.get('/api/users/:id/observations', async (req) => {
    const userId = await visibleUser(req);
    const q = parseBody(ObservationsQuery, req.query);
    const metric: MetricId = q.metric;
    if (q.bucket !== undefined) {
      const component = q.component ?? METRICS[metric].primary;
      const buckets = await d.store.history.buckets({ userId, metric, component, from: q.from, to: q.to, bucketSeconds: q.bucket });
      return answer(BucketsResponse, { userId, metric, component, unit: (METRICS[metric].components as Record<string, { unit: string }>)[component]?.unit, bucketSeconds: q.bucket, buckets });
    }
    const after = q.page === undefined ? undefined : decode(PageToken, q.page, 'page');
    const events = await d.store.history.range({ userId, metric, from: q.from, to: q.to, limit: q.limit + 1, ...(after ? { after: { at: after.at, id: after.id } } : {}) });
    const more = events.length > q.limit;
    if (more) events.length = q.limit;
    const last = events[events.length - 1];
    const next = more && last ? encode({ at: 'at' in last.time ? last.time.at : last.time.end, id: last.id }) : null;
    return { userId, metric, events, next };
  });

  app.get('/api/users/:id/observations/latest', async (req) => {
    const userId = await visibleUser(req);
    const q = parseBody(LatestQuery, req.query);
    return answer(LatestResponse, { userId, events: await d.store.history.latest(userId, q.metric) });
  });

  app.get('/api/users/:id/daily', async (req) => {
    const userId = await visibleUser(req);
    const q = parseBody(DailyQuery, req.query);
    const rows = await d.store.history.daily({ userId, from: q.from, to: q.to });
    return answer(DailyResponse, {
      userId,
      days: rows.map((r) => ({
        day: r.day,
        steps: r.steps,
        heartRate: r.hrCount > 0 ? { n: r.hrCount, avg: r.hrAvg, min: r.hrMin, max: r.hrMax, resting: r.restingHr } : null,
        zones: r.zoneSeconds && r.maxHr ? { maxHr: r.maxHr, seconds: r.zoneSeconds } : null,
        current: r.current,
      })),
    });
  });

  app.get('/api/users/:id/sync', async (req) => {
    const userId = await visibleUser(req);
    const q = parseBody(SyncQuery, req.query);
    const cursor = q.cursor === undefined ? null : decode(CursorToken, q.cursor, 'cursor');
    const { events, cursors } = await d.store.history.changes({ userId, cursor, limit: q.limit + 1, ...(q.metric ? { metric: q.metric } : {}) });
    const more = events.length > q.limit;
    if (more) {
      events.length = q.limit;
      cursors.length = q.limit;
    }
    const last = cursors[cursors.length - 1];
    // No news keeps the cursor where it was: the client asks again with the same one.
    return { userId, events, cursor: last ? encode(last) : (q.cursor ?? encode({ txid: 0, id: ' ' })), more };
  });
}
