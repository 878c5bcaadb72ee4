import { randomBytes } from 'node:crypto';
import { percentOfMax, ZoneAccumulator, zoneOf } from '@pulsehub/physiology';
import { PulseHubError, eventInstant, type CanonicalEvent, type ClassSessionInfo, type IntervalTimer, type SessionTally, type ServerMessage } from '@pulsehub/contracts';
import type { ClassRepo, ClassSessionRow, ClassSummaryRow, Store } from '@pulsehub/store';
import type { Logger } from 'pino';
import type { LiveHub } from './hub.js';
import { DEFAULT_ZONE_FLOORS } from './profile.js';
import { readingCutoffs, type Viewer } from '../access.js';

/** Body mass assumed for calories when the athlete has no body-weight reading. */
export const DEFAULT_WEIGHT_KG = 70;

export interface SessionViewer {
  /** Whether this viewer may see the athlete now (the set `visibleAthletes` allowed, less revoked consents). */
  sees(athleteId: string): boolean;
  deliver(key: string, data: string): void;
  control(data: string): void;
}

interface Profile { maxHr: number; age: number; weightKg: number }

/**
 * Running totals of one athlete in a class. Time in zones and calories come from
 * `ZoneAccumulator` in @pulsehub/physiology (each reading holds until the next, at most
 * `MAX_GAP_SECONDS`: the rule of `timeInZones`/`keytelKcal`), applied incrementally so the
 * board can show it live. Calories use Keytel et al. with sex `unspecified` (none is stored:
 * the mean of the male and female equations).
 */
export class AthleteTally {
  private readonly acc: ZoneAccumulator;
  private sum = 0;
  n = 0;
  max: number | null = null;
  /** When the effort points (as sent, one decimal) last changed. */
  private effortSince: number | null = null;
  private sentEffort = 0;

  constructor(readonly athlete: string, readonly profile: Profile, readonly floors: readonly number[]) {
    const { maxHr, age, weightKg } = profile;
    this.acc = new ZoneAccumulator({ maxHr, floors, energy: { sex: 'unspecified', age, weightKg } });
  }

  get secondsInZones(): readonly number[] {
    return this.acc.secondsInZones;
  }

  add(t: number, bpm: number): boolean {
    const last = this.acc.last;
    if (last && t <= last.t) return false; // out of order or a repeat: the summary replays the full series
    this.acc.add(t, bpm);
    const ep = Math.round(this.acc.effortPoints() * 10) / 10;
    if (ep !== this.sentEffort) {
      this.sentEffort = ep;
      this.effortSince = t;
    }
    this.n++;
    this.sum += bpm;
    this.max = this.max === null ? bpm : Math.max(this.max, bpm);
    return true;
  }

  toMessage(session: string): SessionTally {
    const bpm = this.acc.last?.bpm ?? null;
    return {
      session,
      athlete: this.athlete,
      bpm,
      pctMax: bpm === null ? null : percentOfMax(bpm, this.profile.maxHr),
      zone: bpm === null ? null : zoneOf(bpm, this.profile.maxHr, this.floors),
      avgBpm: this.n ? Math.round((this.sum / this.n) * 10) / 10 : null,
      maxBpm: this.max,
      secondsInZones: this.acc.secondsInZones.map((s) => Math.round(s)),
      kcal: Math.round(this.acc.kcal * 10) / 10,
      effortPoints: Math.round(this.acc.effortPoints() * 10) / 10,
      effortSince: this.effortSince,
    };
  }
}

interface Active {
  row: ClassSessionRow;
  tallies: Map<string, AthleteTally>;
  readings: Map<string, Map<number, number>>;
  viewers: Set<SessionViewer>;
}

export function sessionInfo(row: ClassSessionRow): ClassSessionInfo {
  return { id: row.id, coachId: row.coachId, name: row.name, athletes: row.athletes, zoneFloors: row.zoneFloors, startedAt: row.startedAt.toISOString(), endedAt: row.endedAt?.toISOString() ?? null, timer: row.timer ?? null };
}

/** Class sessions: start, live tallies for the board, and the stored summary at the end. */
export class ClassSessions {
  private readonly active = new Map<string, Active>();
  private readonly loading = new Map<string, Promise<Active>>();
  private readonly unlisten: () => void;

  constructor(private readonly store: Store, private readonly repo: ClassRepo, private readonly hub: LiveHub, private readonly log: Logger) {
    this.unlisten = hub.onEvent((e) => this.onEvent(e));
  }

  async start(o: { coachId: string; name: string; athletes: string[]; zoneFloors?: number[] }): Promise<ClassSessionInfo> {
    const id = `c-${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`;
    const row = await this.repo.create({ id, coachId: o.coachId, name: o.name, athletes: o.athletes, zoneFloors: o.zoneFloors ?? [...DEFAULT_ZONE_FLOORS] });
    await this.activate(row);
    return sessionInfo(row);
  }

  async get(id: string): Promise<ClassSessionRow> {
    const row = this.active.get(id)?.row ?? (await this.repo.get(id));
    if (!row) throw new PulseHubError('PH_STORE_NOT_FOUND', `no class session ${id}`);
    return row;
  }

  /** The live tallies of an active session (loads it from the database after a restart). */
  async tallies(id: string): Promise<SessionTally[]> {
    const a = await this.load(id);
    return a ? [...a.tallies.values()].map((t) => t.toMessage(id)) : [];
  }

  async tallyOf(id: string, athlete: string): Promise<SessionTally | undefined> {
    return (await this.load(id))?.tallies.get(athlete)?.toMessage(id);
  }

  addViewer(id: string, v: SessionViewer): void {
    this.active.get(id)?.viewers.add(v);
  }

  removeViewer(id: string, v: SessionViewer): void {
    this.active.get(id)?.viewers.delete(v);
  }

  /**
   * Starts (config given) or stops (null) the class's interval timer: stored with the session
   * and sent to every board and phone watching it as a `timer` frame.
   */
  async setTimer(id: string, config: { workSec: number; restSec: number; rounds: number } | null): Promise<IntervalTimer | null> {
    const a = await this.load(id);
    const row = a?.row ?? (await this.get(id));
    if (row.endedAt) throw new PulseHubError('PH_SESSION_ENDED', `class session ${id} has ended`);
    const now = new Date().toISOString();
    const timer: IntervalTimer | null = config ? { ...config, startedAt: now, stoppedAt: null } : row.timer ? { ...row.timer, stoppedAt: row.timer.stoppedAt ?? now } : null;
    await this.repo.setTimer(id, timer);
    row.timer = timer;
    const frame = JSON.stringify({ type: 'timer', session: id, timer } satisfies ServerMessage);
    for (const v of a?.viewers ?? []) v.control(frame);
    return timer;
  }

  /**
   * Ends the session: replays every reading (database and live) and stores one summary per
   * athlete, as `audience` (the session's coach, see `sessionAudience`) may see it: an athlete
   * who revoked consent during the class is summarised up to the revocation only, one who is
   * not visible at all gets no summary.
   */
  async end(id: string, audience: Viewer): Promise<{ session: ClassSessionInfo; summaries: ClassSummaryRow[] }> {
    const a = await this.load(id);
    const row = a?.row ?? (await this.get(id));
    if (row.endedAt) return { session: sessionInfo(row), summaries: await this.repo.summaries(id) };
    const endedAt = new Date();
    const cutoffs = await readingCutoffs(this.store, audience, row.athletes, row.startedAt);
    const summaries: Omit<ClassSummaryRow, 'sessionId'>[] = [];
    for (const athlete of row.athletes) {
      const cutoff = cutoffs.get(athlete) ?? null;
      if (cutoff === null) continue;
      const merged = new Map(a?.readings.get(athlete) ?? []);
      for (const r of await this.repo.heartRate(athlete, row.startedAt, endedAt)) merged.set(r.at, r.bpm);
      const t = new AthleteTally(athlete, await this.profileFor(athlete), row.zoneFloors);
      for (const [at, bpm] of [...merged].sort((x, y) => x[0] - y[0])) if (at <= cutoff) t.add(at, bpm);
      const m = t.toMessage(id);
      const user = await this.store.users.get(athlete);
      summaries.push({ athleteId: athlete, name: user?.name ?? athlete, avgBpm: m.avgBpm === null ? null : Math.round(m.avgBpm), maxBpm: m.maxBpm === null ? null : Math.round(m.maxBpm), secondsInZones: m.secondsInZones, kcal: Math.round(m.kcal), effortPoints: Math.round(m.effortPoints), readings: t.n });
    }
    await this.repo.end(id, endedAt, summaries);
    const ended = { ...row, endedAt };
    const frame = JSON.stringify({ type: 'session', session: sessionInfo(ended) } satisfies ServerMessage);
    for (const v of a?.viewers ?? []) v.control(frame);
    this.active.delete(id);
    this.log.info({ session: id, athletes: row.athletes.length }, 'class session ended');
    return { session: sessionInfo(ended), summaries: await this.repo.summaries(id) };
  }

  private async profileFor(athlete: string): Promise<Profile> {
    const p = await this.hub.profile(athlete);
    return { maxHr: p.maxHr, age: p.age, weightKg: (await this.repo.latestWeightKg(athlete)) ?? DEFAULT_WEIGHT_KG };
  }

  private async load(id: string): Promise<Active | undefined> {
    const have = this.active.get(id);
    if (have) return have;
    const row = await this.repo.get(id);
    if (!row || row.endedAt) return undefined;
    return this.activate(row);
  }

  private activate(row: ClassSessionRow): Promise<Active> {
    const pending = this.loading.get(row.id);
    if (pending) return pending;
    const p = (async () => {
      const a: Active = { row, tallies: new Map(), readings: new Map(), viewers: new Set() };
      for (const athlete of row.athletes) {
        a.tallies.set(athlete, new AthleteTally(athlete, await this.profileFor(athlete), row.zoneFloors));
        a.readings.set(athlete, new Map());
      }
      // After a restart, catch up from the database.
      const now = new Date();
      for (const athlete of row.athletes) {
        for (const r of await this.repo.heartRate(athlete, row.startedAt, now)) this.addReading(a, athlete, r.at, r.bpm, false);
      }
      this.active.set(row.id, a);
      return a;
    })().finally(() => this.loading.delete(row.id));
    this.loading.set(row.id, p);
    return p;
  }

  private addReading(a: Active, athlete: string, at: number, bpm: number, send: boolean): void {
    const t = a.tallies.get(athlete);
    if (!t || at < a.row.startedAt.getTime()) return;
    a.readings.get(athlete)?.set(at, bpm);
    if (!t.add(at, bpm) || !send || a.viewers.size === 0) return;
    const data = JSON.stringify({ type: 'tally', tally: t.toMessage(a.row.id) } satisfies ServerMessage);
    for (const v of a.viewers) if (v.sees(athlete)) v.deliver(`${a.row.id}|${athlete}|tally`, data);
  }

  private onEvent(e: CanonicalEvent): void {
    if (e.metric !== 'heart_rate' || this.active.size === 0) return;
    const bpm = e.values.bpm?.value;
    if (bpm === undefined) return;
    const at = Date.parse(eventInstant(e.time));
    for (const a of this.active.values()) if (a.tallies.has(e.userId)) this.addReading(a, e.userId, at, bpm, true);
  }

  close(): void {
    this.unlisten();
    this.active.clear();
  }
}
