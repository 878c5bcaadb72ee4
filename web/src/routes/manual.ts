import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { EventNotes, MANUAL_METRICS, ManualEntriesResponse, ManualEntryResponse, PulseHubError, UserId, type CanonicalEvent, type ErrorCode } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import type { Store } from '@pulsehub/store';
import { visibleAthletes } from '../access.js';
import { requirePrincipal } from './auth.js';
import { Instant, StorableText, parseBody } from './parse.js';
import { answer } from './answer.js';

/**
 * What people log by hand, through the ingest pipeline (adapter `manual`):
 *
 *   POST   /api/users/:id/manual                 → 201 { entry } (200 { entry, created: false } for a re-submit)
 *   GET    /api/users/:id/manual?metric&limit&page → { entries, next }   (newest first)
 *   GET    /api/users/:id/manual/:entryId         → { entry }            (any stored reading of the user)
 *   PUT    /api/users/:id/manual/:entryId         → { entry }            (same id; audit row of before/after)
 *   DELETE /api/users/:id/manual/:entryId         → 204                  (409 PH_WEB_NOT_MANUAL for a device reading)
 *
 * Writes: the athlete themselves or an admin. Reads: whoever may see the athlete (THE rule).
 */

/** The ingest side, passed in (web does not import ingest): see `Intake.submit` / `Intake.check`. */
export interface ManualIntake {
  submit(userId: string, payload: Buffer): Promise<ManualOutcome>;
  check(userId: string, payload: Buffer): ManualOutcome;
}
export interface ManualOutcome {
  events: CanonicalEvent[];
  rejection: { reason: ErrorCode; detail: string } | null;
}

const Value = z.union([z.number().finite(), z.object({ value: z.number().finite(), unit: z.string().min(1).max(32) }).strict()]);
const EntryBody = z.object({
  /** The client's idempotency key (e.g. a UUID made when the form opened); else a hash of the entry. */
  id: z.string().min(1).max(128).optional(),
  metric: z.enum(MANUAL_METRICS, { error: `metric must be one of ${MANUAL_METRICS.join(', ')}` }),
  at: z.iso.datetime({ offset: true }).optional(),
  start: z.iso.datetime({ offset: true }).optional(),
  end: z.iso.datetime({ offset: true }).optional(),
  values: z.record(z.string().max(40), Value),
  notes: EventNotes.optional(),
  laps: z.array(z.number().finite()).max(1000).optional(),
}).strict();
const Params = z.object({ id: UserId });
const EntryParams = z.object({ id: UserId, entryId: StorableText.min(1).max(128) });
const ListQuery = z.object({
  metric: z.enum(MANUAL_METRICS).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  page: z.string().max(400).optional(),
}).strict();
const PageToken = z.object({ at: Instant, id: StorableText.min(1).max(200) }).strict();

const rejected = (o: ManualOutcome): never => {
  throw new PulseHubError(o.rejection?.reason ?? 'PH_WEB_BAD_REQUEST', o.rejection?.detail ?? 'the entry was not accepted');
};

export function registerManualEntries(app: FastifyInstance, d: { store: Store; tokens: TokenService; intake?: ManualIntake; changed?: (userId: string, metric: string) => Promise<void> }): void {
  const writer = async (req: FastifyRequest) => {
    const p = await requirePrincipal(req, d.tokens, ['admin', 'athlete']);
    const { id } = parseBody(Params, { id: (req.params as { id?: unknown }).id });
    if (p.kind === 'athlete' && !p.users.includes(id)) throw new PulseHubError('PH_AUTH_FORBIDDEN', 'athletes log entries for themselves only');
    if (!(await d.store.users.get(id))) throw new PulseHubError('PH_STORE_NOT_FOUND', `no user ${id}`);
    return { p, userId: id };
  };
  const reader = async (req: FastifyRequest) => {
    const p = await requirePrincipal(req, d.tokens);
    const { id } = parseBody(Params, { id: (req.params as { id?: unknown }).id });
    const { allowed } = await visibleAthletes(p, d.store, [id]);
    if (allowed.length === 0) throw new PulseHubError('PH_AUTH_FORBIDDEN', p.kind === 'coach' ? `${id} has not granted you consent` : `a ${p.kind} token may not read ${id}'s entries`);
    return id;
  };
  const intake = () => {
    if (!d.intake) throw new PulseHubError('PH_WEB_INGEST_UNAVAILABLE');
    return d.intake;
  };

  app.post('/api/users/:id/manual', async (req, reply) => {
    const { userId } = await writer(req);
    const body = parseBody(EntryBody, req.body);
    const out = await intake().submit(userId, Buffer.from(JSON.stringify({ format: 'manual', ...body })));
    if (out.rejection || out.events.length === 0) return rejected(out);
    const sent = out.events[0]!;
    const stored = (await d.store.manualEntries.get(userId, sent.id)) ?? sent;
    // A re-submit (same id) stored nothing new: the first entry stands.
    const created = stored.source.receivedAt === sent.source.receivedAt;
    return reply.status(created ? 201 : 200).send(answer(ManualEntryResponse, { entry: stored, created }));
  });

  app.get('/api/users/:id/manual', async (req) => {
    const userId = await reader(req);
    const q = parseBody(ListQuery, req.query);
    let after: { at: Date; id: string } | undefined;
    if (q.page !== undefined) {
      let raw: unknown;
      try {
        raw = JSON.parse(Buffer.from(q.page, 'base64url').toString('utf8'));
      } catch {
        raw = undefined;
      }
      const r = PageToken.safeParse(raw);
      if (!r.success) throw new PulseHubError('PH_WEB_BAD_REQUEST', 'page is not one this API handed out');
      after = r.data;
    }
    const entries = await d.store.manualEntries.list({ userId, limit: q.limit + 1, ...(q.metric ? { metric: q.metric } : {}), ...(after ? { after } : {}) });
    const more = entries.length > q.limit;
    if (more) entries.length = q.limit;
    const last = entries[entries.length - 1];
    const next = more && last ? Buffer.from(JSON.stringify({ at: 'at' in last.time ? last.time.at : last.time.end, id: last.id })).toString('base64url') : null;
    return answer(ManualEntriesResponse, { userId, entries, next });
  });

  app.get<{ Params: { id: string; entryId: string } }>('/api/users/:id/manual/:entryId', async (req) => {
    const userId = await reader(req);
    const { entryId } = parseBody(EntryParams, req.params);
    const entry = await d.store.manualEntries.get(userId, entryId);
    if (!entry) throw new PulseHubError('PH_STORE_NOT_FOUND', `no entry ${entryId} of ${userId}`);
    return answer(ManualEntryResponse, { entry });
  });

  app.put<{ Params: { id: string; entryId: string } }>('/api/users/:id/manual/:entryId', async (req) => {
    const { p, userId } = await writer(req);
    const { entryId } = parseBody(EntryParams, req.params);
    const body = parseBody(EntryBody, req.body);
    if (body.id !== undefined && body.id !== entryId) throw new PulseHubError('PH_WEB_BAD_REQUEST', 'an edit keeps the entry id: leave id out or give the same one');
    const out = intake().check(userId, Buffer.from(JSON.stringify({ format: 'manual', ...body, id: entryId })));
    if (out.rejection || out.events.length === 0) return rejected(out);
    const { after } = await d.store.manualEntries.replace(out.events[0]!, { subject: p.subject, kind: p.kind });
    await d.changed?.(userId, after.metric);
    return answer(ManualEntryResponse, { entry: after });
  });

  app.delete<{ Params: { id: string; entryId: string } }>('/api/users/:id/manual/:entryId', async (req, reply) => {
    const { p, userId } = await writer(req);
    const { entryId } = parseBody(EntryParams, req.params);
    const gone = await d.store.manualEntries.remove(userId, entryId, { subject: p.subject, kind: p.kind });
    if (!gone) throw new PulseHubError('PH_STORE_NOT_FOUND', `no entry ${entryId} of ${userId}`);
    await d.changed?.(userId, gone.metric);
    return reply.status(204).send();
  });
}
