import { randomBytes } from 'node:crypto';
import { effortPoints, keytelKcalPerMinute } from '@pulsehub/ingest';
import { PulseHubError, eventInstant, type CanonicalEvent, type ClassSessionInfo, type SessionTally, type ServerMessage } from '@pulsehub/contracts';
import type { ClassRepo, ClassSessionRow, ClassSummaryRow, Store } from '@pulsehub/store';
import type { Logger } from 'pino';
import type { LiveHub } from './hub.js';
import { DEFAULT_ZONE_FLOORS, zoneFor } from './profile.js';

/** A reading holds until the next one, never longer than this (as `timeInZones` in ingest). */
export const MAX_GAP_SECONDS = 60;
/** Body mass assumed for calories when the athlete has no body-weight reading. */
export const DEFAULT_WEIGHT_KG = 70;

export interface SessionViewer {
  deliver(key: string, data: string): void;
  control(data: string): void;
}

interface Profile { maxHr: number; age: number; weightKg: number }

/**
 * Running totals of one athlete in a class. Each reading's zone and calorie rate hold until
 * the next reading (at most MAX_GAP_SECONDS), the rule of `timeInZones`/`keytelKcal` in
 * @pulsehub/ingest, applied incrementally so the board can show it live. Calories use Keytel
 * et al. (no sex is stored, so the mean of the male and female equations).
 */
export class AthleteTally {
  private last: { t: number; bpm: number } | null = null;
  private sum = 0;
  n = 0;
  max: number | null = null;
  readonly secondsInZones = [0, 0, 0, 0, 0, 0];
  kcal = 0;

  constructor(readonly athlete: string, readonly profile: Profile, readonly floors: readonly number[]) {}

  add(t: number, bpm: number): boolean {
    if (this.last && t <= this.last.t) return false; // out of order or a repeat: the summary replays the full series
    if (this.last) {
      const held = Math.min((t - this.last.t) / 1000, MAX_GAP_SECONDS);
      this.secondsInZones[zoneFor(this.last.bpm, this.profile.maxHr, this.floors)]! += held;
      const { age, weightKg } = this.profile;
      const perMin = (keytelKcalPerMinute(this.last.bpm, { sex: 'male', age, weightKg }) + keytelKcalPerMinute(this.last.bpm, { sex: 'female', age, weightKg })) / 2;
      this.kcal += (perMin * held) / 60;
    }
    this.last = { t, bpm };
    this.n++;
    this.sum += bpm;
    this.max = this.max === null ? bpm : Math.max(this.max, bpm);
    return true;
  }

  toMessage(session: string): SessionTally {
    const bpm = this.last?.bpm ?? null;
    return {
      session,
      athlete: this.athlete,
      bpm,
      pctMax: bpm === null ? null : Math.round((bpm / this.profile.maxHr) * 1000) / 10,
      zone: bpm === null ? null : zoneFor(bpm, this.profile.maxHr, this.floors),
      avgBpm: this.n ? Math.round((this.sum / this.n) * 10) / 10 : null,
      maxBpm: this.max,
      secondsInZones: this.secondsInZones.map((s) => Math.round(s)),
      kcal: Math.round(this.kcal * 10) / 10,
      effortPoints: Math.round(effortPoints(this.secondsInZones) * 10) / 10,
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
  return { id: row.id, coachId: row.coachId, name: row.name, athletes: row.athletes, zoneFloors: row.zoneFloors, startedAt: row.startedAt.toISOString(), endedAt: row.endedAt?.toISOString() ?? null };
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

  /** Ends the session: replays every reading (database and live) and stores one summary per athlete. */
  async end(id: string): Promise<{ session: ClassSessionInfo; summaries: ClassSummaryRow[] }> {
    const a = await this.load(id);
    const row = a?.row ?? (await this.get(id));
    if (row.endedAt) return { session: sessionInfo(row), summaries: await this.repo.summaries(id) };
    const endedAt = new Date();
    const summaries: Omit<ClassSummaryRow, 'sessionId'>[] = [];
    for (const athlete of row.athletes) {
      const merged = new Map(a?.readings.get(athlete) ?? []);
      for (const r of await this.repo.heartRate(athlete, row.startedAt, endedAt)) merged.set(r.at, r.bpm);
      const t = new AthleteTally(athlete, await this.profileFor(athlete), row.zoneFloors);
      for (const [at, bpm] of [...merged].sort((x, y) => x[0] - y[0])) t.add(at, bpm);
      const m = t.toMessage(id);
      const user = await this.store.getUser(athlete);
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
    for (const v of a.viewers) v.deliver(`${a.row.id}|${athlete}|tally`, data);
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
