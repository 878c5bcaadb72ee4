import type { AlertChange, AlertJson, CanonicalEvent } from '@pulsehub/contracts';
import { maxHeartRate, type MaxHrFormula } from '@pulsehub/physiology';
import { alertJson, type AlertRow, type Store } from '@pulsehub/store';
import type { Logger } from 'pino';
import { EVALUATE, READING_RULES, RULE_BY_ID, type Outcome, type RuleDef, type RuleMemory } from './builtins.js';

/** Announces an alert change (live topic `live/alerts/<user>`); must not wait for anything slow. */
export type AlertPublisher = (userId: string, change: AlertChange, alert: AlertJson) => void;

export interface RuleEngineOptions {
  store: Store;
  logger: Logger;
  publish: AlertPublisher;
  maxHrFormula?: MaxHrFormula;
  /** How long a user's overrides and profile are cached (default 30 s). */
  contextTtlMs?: number;
  /** An open alert is written again at most this often while it holds unchanged (default 30 s). */
  updateEveryMs?: number;
}

interface UserContext {
  /** When it is read again: a random 75–100 % of the TTL after loading, so users loaded together do not all expire together. */
  expiresAt: number;
  open: Set<string>;
  /** When each open alert was last written, and what made its last write significant. */
  written: Map<string, { at: number; significant: string | undefined }>;
  params: Map<string, Readonly<Record<string, number>>>;
  disabled: Set<string>;
  maxHr: number;
  memory: Map<string, RuleMemory>;
}

/** Where the rules stopped for an outcome to write: event `i`, rule `j` of its metric. */
interface PendingWrite {
  i: number;
  j: number;
  def: RuleDef;
  outcome: NonNullable<Outcome>;
}

/** Age assumed when a user has neither a measured max HR nor a birth year (as the live view does). */
const DEFAULT_AGE = 35;

/**
 * Evaluates the reading rules on readings AFTER their batch committed (the writer calls
 * `onCommitted` with only the readings that were new, so a redelivery fires nothing). Rules
 * run in memory; the database is touched only when an alert opens, changes, resolves, or
 * (throttled) is refreshed while it holds. Each athlete's readings are evaluated in order on
 * a chain of their own. State (a run above the HR threshold, recent low SpO2 readings) is per
 * ingest worker, like the HRV window.
 */
export class RuleEngine {
  private readonly users = new Map<string, UserContext>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly ttl: number;
  private readonly updateEvery: number;
  readonly stats = { evaluated: 0, opened: 0, updated: 0, resolved: 0, failed: 0 };

  constructor(private readonly o: RuleEngineOptions) {
    this.ttl = o.contextTtlMs ?? 30_000;
    this.updateEvery = o.updateEveryMs ?? 30_000;
  }

  /** Readings just stored (never before their commit). */
  onCommitted(events: readonly CanonicalEvent[]): void {
    let byUser: Map<string, CanonicalEvent[]> | undefined;
    for (const e of events) {
      if (!READING_RULES.has(e.metric)) continue;
      byUser ??= new Map();
      const list = byUser.get(e.userId);
      if (list) list.push(e);
      else byUser.set(e.userId, [e]);
    }
    if (!byUser) return;
    for (const [userId, list] of byUser) {
      // Nothing of this athlete's under way and the context cached: the rules run now, in this
      // turn, and a chain (promises, the context's query) is made only when an outcome has to be
      // written. At 1,000 readings/s almost no reading changes an alert.
      const c = this.chains.has(userId) ? undefined : this.fresh(userId);
      if (!c) {
        void this.enqueue(userId, () => this.evaluate(userId, list));
        continue;
      }
      const write = this.run(c, list, 0, 0);
      if (write) void this.enqueue(userId, () => this.writeFrom(userId, c, list, write));
    }
  }

  /** The user's cached context while it has not expired. */
  private fresh(userId: string): UserContext | undefined {
    const c = this.users.get(userId);
    return c && Date.now() < c.expiresAt ? c : undefined;
  }

  /** Runs `task` after the athlete's earlier work (rules see one athlete's readings in order). */
  enqueue(userId: string, task: () => Promise<void>): Promise<void> {
    const next = (this.chains.get(userId) ?? Promise.resolve()).then(task).catch((err: unknown) => {
      this.stats.failed++;
      this.o.logger.warn({ userId, err: (err as Error).message }, 'alert rules failed for a batch');
    });
    this.chains.set(userId, next);
    void next.then(() => {
      if (this.chains.get(userId) === next) this.chains.delete(userId);
    });
    return next;
  }

  /** Forgets a user's cached overrides and profile (after an override or profile change). */
  forget(userId: string): void {
    const c = this.users.get(userId);
    if (c) c.expiresAt = 0;
  }

  private async context(userId: string): Promise<UserContext> {
    const now = Date.now();
    let c = this.users.get(userId);
    if (c && now < c.expiresAt) return c;
    const [open, overrides, user] = await Promise.all([
      c ? Promise.resolve([...c.open]) : this.o.store.alerts.openRules(userId),
      this.o.store.alertRules.list(userId),
      this.o.store.users.get(userId),
    ]);
    const maxHr = user?.maxHr ?? maxHeartRate({ age: user?.birthYear ? new Date().getUTCFullYear() - user.birthYear : DEFAULT_AGE, formula: this.o.maxHrFormula ?? 'tanaka' });
    const params = new Map<string, Readonly<Record<string, number>>>();
    const disabled = new Set<string>();
    for (const def of RULE_BY_ID.values()) params.set(def.id, def.defaults);
    for (const ov of overrides) {
      const def = RULE_BY_ID.get(ov.ruleId);
      if (!def) continue;
      if (!ov.enabled) disabled.add(ov.ruleId);
      params.set(ov.ruleId, Object.freeze({ ...def.defaults, ...pick(ov.params, def.defaults) }));
    }
    // Every athlete's first reading comes in the same seconds after a start: with a fixed TTL
    // their contexts expired together too, two queries per athlete in one burst every 30 s.
    c = { expiresAt: now + this.ttl * (0.75 + Math.random() / 4), open: new Set(open), written: c?.written ?? new Map(), params, disabled, maxHr, memory: c?.memory ?? new Map() };
    this.users.set(userId, c);
    return c;
  }

  /** The thresholds a rule uses for a user now (defaults with the user's overrides). */
  async paramsFor(userId: string, ruleId: string): Promise<{ params: Readonly<Record<string, number>>; enabled: boolean }> {
    const c = await this.context(userId);
    return { params: c.params.get(ruleId) ?? {}, enabled: !c.disabled.has(ruleId) };
  }

  private async evaluate(userId: string, events: readonly CanonicalEvent[]): Promise<void> {
    const c = await this.context(userId);
    const write = this.run(c, events, 0, 0);
    if (write) await this.writeFrom(userId, c, events, write);
  }

  /**
   * Runs the rules on `events` from event `i`, rule `j` on, in memory, until an outcome has to
   * be written (returned, with where it stopped), or to the end (null).
   */
  private run(c: UserContext, events: readonly CanonicalEvent[], i: number, j: number): PendingWrite | null {
    for (; i < events.length; i++, j = 0) {
      const event = events[i]!;
      const defs = READING_RULES.get(event.metric) ?? [];
      for (; j < defs.length; j++) {
        const def = defs[j]!;
        if (c.disabled.has(def.id)) continue;
        const evaluate = EVALUATE[def.id];
        if (!evaluate) continue;
        let memory = c.memory.get(def.id);
        if (!memory) c.memory.set(def.id, (memory = {}));
        this.stats.evaluated++;
        const outcome = evaluate({ event, params: c.params.get(def.id) ?? def.defaults, memory, maxHr: c.maxHr });
        if (outcome && this.mustWrite(c, def.id, outcome, Date.now())) return { i, j, def, outcome };
      }
    }
    return null;
  }

  /** Writes `w`, then goes on with the rules after it, writing each outcome that needs it, in order. */
  private async writeFrom(userId: string, c: UserContext, events: readonly CanonicalEvent[], w: PendingWrite): Promise<void> {
    for (let next: PendingWrite | null = w; next; next = this.run(c, events, next.i, next.j + 1)) await this.apply(userId, c, next.def, next.outcome);
  }

  /** Whether `apply` would touch the database for this outcome (its own checks, without the write). */
  private mustWrite(c: UserContext, ruleId: string, outcome: NonNullable<Outcome>, now: number): boolean {
    if (outcome.kind === 'resolve') return c.open.has(ruleId);
    const last = c.written.get(ruleId);
    return !(c.open.has(ruleId) && last && last.significant === outcome.significant && now - last.at < this.updateEvery);
  }

  /** Writes an outcome: the database first, then the live announcement. */
  async apply(userId: string, c: UserContext, def: Pick<RuleDef, 'id'>, outcome: Outcome, at = new Date()): Promise<void> {
    if (!outcome) return;
    if (outcome.kind === 'resolve') {
      if (!c.open.has(def.id)) return;
      const row = await this.o.store.alerts.resolve(userId, def.id, at);
      c.open.delete(def.id);
      c.written.delete(def.id);
      if (row) this.announce(userId, 'resolved', row);
      return;
    }
    // While it holds and nothing significant changed, the row is refreshed at most every `updateEvery`.
    if (!this.mustWrite(c, def.id, outcome, at.getTime())) return;
    const r = await this.o.store.alerts.raise({ userId, ruleId: def.id, severity: outcome.severity, title: outcome.title, detail: outcome.detail, readingIds: outcome.readingIds, at });
    c.open.add(def.id);
    c.written.set(def.id, { at: at.getTime(), significant: outcome.significant });
    if (r) this.announce(userId, r.change, r.alert);
  }

  /** The context of a user, for the scheduler. */
  userContext(userId: string): Promise<UserContext> {
    return this.context(userId);
  }

  private announce(userId: string, change: 'opened' | 'updated' | 'resolved', row: AlertRow): void {
    this.stats[change]++;
    this.o.publish(userId, change, alertJson(row) as AlertJson);
  }

  /** Waits for the work under way. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }
}

/** Only the numbers a rule knows (an override cannot invent a threshold). */
function pick(params: Record<string, number>, defaults: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(defaults)) if (typeof params[k] === 'number' && Number.isFinite(params[k])) out[k] = params[k];
  return out;
}
