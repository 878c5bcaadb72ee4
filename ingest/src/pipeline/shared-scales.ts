import { eventInstant, type CanonicalEvent } from '@pulsehub/contracts';
import type { Device, Store } from '@pulsehub/store';
import { attributeWeighIn, DEFAULT_ATTRIBUTION, type Candidate, type WeighInSample } from '../attribution/shared-scale.js';
import type { ProcessResult } from './process.js';

/**
 * The server side of shared scales. A weigh-in whose sensor is registered as a
 * `shared_scale` is not stored for the topic's user: the hub's own binding of the scale says
 * who may have stepped on it (a payload never brings candidates), their recent weigh-ins come
 * from the database, and the pure attribution rule picks one of them — or nobody, and the
 * reading waits in `pending_readings` for a person to assign it. The topic's user must be one
 * of the scale's users: a gateway cannot push readings into a family it does not serve.
 */
export interface SharedScaleRouterOptions {
  store: Store;
  /** How long a scale's registration (and bindings) is trusted. */
  deviceTtlMs?: number;
  /** How long a user's recent weigh-ins are reused. */
  historyTtlMs?: number;
}

export type Routed =
  /** Not a shared scale's reading: store it as it came. */
  | { kind: 'as-is' }
  /** Events to store (the weigh-in under the user it was attributed to); a pending one is already kept. */
  | { kind: 'routed'; events: CanonicalEvent[]; rejection: ProcessResult['rejection'] };

export const WEIGH_IN_METRICS: ReadonlySet<string> = new Set(['body_weight', 'body_composition']);
export const SHARED_SCALE_KIND = 'shared_scale';

const DAY = 86_400_000;

/** The weight and impedance a reading's events carry (a body-composition scale sends both). */
export function weighInOf(events: readonly CanonicalEvent[]): { at: number; kg?: number; impedanceOhm?: number } {
  const w = events.find((e) => e.metric === 'body_weight');
  const c = events.find((e) => e.metric === 'body_composition');
  const at = Date.parse(eventInstant((w ?? c ?? events[0]!).time));
  const kg = w?.values.kg?.value;
  const z = c?.values.impedance?.value;
  return { at, ...(kg === undefined ? {} : { kg }), ...(z === undefined ? {} : { impedanceOhm: z }) };
}

/** A stable id for the reading: its weight event's id (a gateway suffixes `:body_weight`). */
export const readingIdOf = (events: readonly CanonicalEvent[]): string => {
  const id = (events.find((e) => e.metric === 'body_weight') ?? events[0]!).id;
  return id.replace(/:(body_weight|body_composition)$/, '');
};

export class SharedScaleRouter {
  private readonly registry;
  private readonly repo;
  private readonly scales = new Map<string, { at: number; device: Device | undefined }>();
  private readonly history = new Map<string, { at: number; samples: WeighInSample[] }>();
  attributed = 0;
  pending = 0;

  constructor(private readonly o: SharedScaleRouterOptions) {
    this.registry = o.store.devices;
    this.repo = o.store.sharedScales;
  }

  /** Cheap check on the hot path: only messages holding a weigh-in are looked at further. */
  static mayNeed(r: ProcessResult): boolean {
    return r.events.some((e) => WEIGH_IN_METRICS.has(e.metric));
  }

  async route(r: ProcessResult): Promise<Routed> {
    const scaleIds = [...new Set(r.events.filter((e) => WEIGH_IN_METRICS.has(e.metric)).map((e) => e.deviceId))];
    const shared = (await Promise.all(scaleIds.map((id) => this.scale(id)))).filter((d): d is Device => d?.kind === SHARED_SCALE_KIND && !d.revokedAt);
    if (shared.length === 0) return { kind: 'as-is' };
    let events = r.events;
    let rejection = r.rejection;
    for (const scale of shared) {
      const mine = events.filter((e) => e.deviceId === scale.id && WEIGH_IN_METRICS.has(e.metric));
      events = events.filter((e) => !mine.includes(e));
      if (r.userId === null || !scale.users.includes(r.userId)) {
        rejection ??= { reason: 'PH_INGEST_USER_MISMATCH', detail: `shared scale ${scale.id} is not bound to user ${r.userId}; bind it with POST /api/shared-scales` };
        continue;
      }
      events = [...events, ...(await this.attribute(scale, mine, r.deviceId ?? scale.id))];
    }
    return { kind: 'routed', events, rejection };
  }

  /** The events of one weigh-in under the user it belongs to, or none (then it is pending). */
  private async attribute(scale: Device, events: CanonicalEvent[], publisherId: string): Promise<CanonicalEvent[]> {
    const w = weighInOf(events);
    const candidates = await this.candidates(scale.users);
    const result = w.kg === undefined ? { kind: 'pending' as const, reason: 'unknown' as const, scores: [] } : attributeWeighIn({ at: w.at, kg: w.kg, ...(w.impedanceOhm === undefined ? {} : { impedanceOhm: w.impedanceOhm }) }, candidates);
    if (result.kind === 'assigned') {
      this.attributed++;
      if (w.kg !== undefined) this.remember(result.userId, { at: w.at, kg: w.kg, ...(w.impedanceOhm === undefined ? {} : { impedanceOhm: w.impedanceOhm }) });
      return events.map((e) => ({ ...e, userId: result.userId }));
    }
    this.pending++;
    await this.repo.addPending({
      id: readingIdOf(events), scaleId: scale.id, publisherId, measuredAt: new Date(w.at), kg: w.kg ?? null, impedanceOhm: w.impedanceOhm ?? null,
      reason: result.reason, candidates: scale.users, events, scores: result.scores,
    });
    return [];
  }

  private async scale(id: string): Promise<Device | undefined> {
    const hit = this.scales.get(id);
    if (hit && Date.now() - hit.at < (this.o.deviceTtlMs ?? 30_000)) return hit.device;
    const device = await this.registry.get(id);
    this.scales.set(id, { at: Date.now(), device });
    return device;
  }

  /** Each bound user's recent weigh-ins: one query for those not cached. */
  private async candidates(userIds: readonly string[]): Promise<Candidate[]> {
    const now = Date.now();
    const ttl = this.o.historyTtlMs ?? 10_000;
    const stale = userIds.filter((u) => { const h = this.history.get(u); return !h || now - h.at >= ttl; });
    if (stale.length > 0) {
      const rows = await this.repo.recentWeighIns(stale, new Date(now - DEFAULT_ATTRIBUTION.historyDays * DAY));
      for (const u of stale) this.history.set(u, { at: now, samples: [] });
      for (const row of rows) {
        if (row.kg === undefined) continue;
        this.history.get(row.userId)?.samples.push({ at: row.at.getTime(), kg: row.kg, ...(row.impedanceOhm === undefined ? {} : { impedanceOhm: row.impedanceOhm }) });
      }
    }
    return userIds.map((userId) => ({ userId, recent: this.history.get(userId)?.samples ?? [] }));
  }

  private remember(userId: string, s: WeighInSample): void {
    this.history.get(userId)?.samples.push(s);
  }
}
