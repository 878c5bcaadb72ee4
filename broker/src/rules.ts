import { z } from 'zod';
import { SUBJECT_KINDS, type Principal } from '@pulsehub/contracts';

/**
 * Topic access as data, in the spirit of Mosquitto's `pattern` ACL lines and EMQX's authz
 * rules: an ordered list, the first rule that applies decides, no rule means deny.
 *
 * Placeholders in `topic` (whole levels only):
 * - `%u` — each user the principal acts for (a device's owner, a gateway's bound users, an
 *   overlay's athlete); a rule with `%u` expands to one rule per user.
 * - `%s` — the principal's subject (device id; also the MQTT username).
 * - `%c` — the MQTT client identifier.
 * - `%a` — an athlete who currently consents to share with this viewer (looked up live, so a
 *   consent change takes effect on the next message).
 *
 * Publish: the rule's filter must match the topic. Subscribe: an `allow` rule must cover the
 * requested filter (every topic it can match); a `deny` rule applies when it overlaps it.
 * Forwarded messages (including retained ones) are checked against the subscribe rules with
 * their concrete topic, so a session restored by another identity cannot read past its rules.
 */
export const RuleKind = z.enum([...SUBJECT_KINDS, 'anonymous']);
export type RuleKind = z.infer<typeof RuleKind>;

export const TopicRule = z
  .object({
    effect: z.enum(['allow', 'deny']),
    action: z.enum(['publish', 'subscribe', 'all']),
    topic: z.string().min(1).max(1024).refine(validPattern, { error: 'must be an MQTT filter (+ and # as whole levels, # last) with %u/%s/%c/%a as whole levels' }),
    /** The subject kinds the rule applies to; omitted: everyone. */
    kinds: z.array(RuleKind).min(1).optional(),
  })
  .strict();
export type TopicRule = z.infer<typeof TopicRule>;

function validPattern(p: string): boolean {
  const levels = p.split('/');
  return levels.every((l, i) => {
    if (l === '#') return i === levels.length - 1;
    if (l.includes('#') || (l.includes('+') && l !== '+')) return false;
    return !/%[^usca]/.test(l) && (!l.includes('%') || l.length === 2);
  });
}

/** PulseHub's built-in policy (README "Tokens and access"). */
export const DEFAULT_RULES: readonly TopicRule[] = Object.freeze([
  // Nobody publishes to $SYS [MQTT-4.7.2-1]; only the hub's own services publish live data.
  { effect: 'deny', action: 'publish', topic: '$SYS/#' },
  { effect: 'allow', action: 'publish', topic: 'live/#', kinds: ['service'] },
  { effect: 'deny', action: 'publish', topic: 'live/#' },
  // $SYS statistics are for admins only.
  { effect: 'allow', action: 'subscribe', topic: '$SYS/#', kinds: ['admin'] },
  { effect: 'deny', action: 'subscribe', topic: '$SYS/#' },
  // Devices publish for their owner, gateways for each bound user, and only those.
  { effect: 'allow', action: 'publish', topic: 'users/%u/events', kinds: ['device', 'gateway'] },
  { effect: 'allow', action: 'subscribe', topic: 'users/%u/#', kinds: ['device', 'gateway'] },
  { effect: 'allow', action: 'publish', topic: 'gateways/%s/status', kinds: ['gateway'] },
  { effect: 'allow', action: 'subscribe', topic: 'gateways/%s/#', kinds: ['gateway'] },
  // Ingest and web: consume every user's events, read the live topics.
  { effect: 'allow', action: 'subscribe', topic: 'users/#', kinds: ['service'] },
  { effect: 'allow', action: 'subscribe', topic: 'live/#', kinds: ['service'] },
  { effect: 'allow', action: 'all', topic: '#', kinds: ['admin'] },
  // Read-only live views: athletes and overlays their own user, coaches while consented.
  { effect: 'allow', action: 'subscribe', topic: 'live/users/%u', kinds: ['athlete', 'overlay'] },
  { effect: 'allow', action: 'subscribe', topic: 'live/users/%a', kinds: ['coach'] },
  // Lab mode (allowAnonymous): anything the denials above leave.
  { effect: 'allow', action: 'all', topic: '#', kinds: ['anonymous'] },
]);

export function validateRules(rules: readonly unknown[]): TopicRule[] {
  return z.array(TopicRule).parse(rules);
}

/** The live consent view a coach rule (`%a`) reads. */
export interface ConsentView {
  has(athleteId: string): boolean;
}


/**
 * What a SUBSCRIBE gets when its filter only partly overlaps a deny rule (e.g. `#` while
 * `test/nosubscribe` is denied):
 * - `refuse` (default): SUBACK 0x80 — a client is never granted a filter that reaches a denied topic.
 * - `filter`: like Mosquitto, the subscription is granted and the denied topics are dropped at
 *   delivery (authorizeForward, checked per message). A filter lying wholly inside a denied
 *   filter is still refused with 0x80, as the Eclipse Paho interop tests expect.
 */
export const PartialDeny = z.enum(['refuse', 'filter']);
export type PartialDeny = z.infer<typeof PartialDeny>;

const NO_ATHLETES: ConsentView = { has: () => false };
const NO_USERS: readonly string[] = Object.freeze([]);

/** Placeholder levels, resolved per client at match time (rules are compiled once per kind). */
const enum P {
  Literal,
  Plus,
  Hash,
  User,
  Subject,
  ClientId,
  Athlete,
}

interface Compiled {
  readonly allow: boolean;
  readonly levels: readonly string[];
  readonly kinds: readonly P[];
  /** Has a `%a` level: the answer changes with consent, never cache it. */
  readonly dynamic: boolean;
  readonly needsUser: boolean;
  readonly needsSubject: boolean;
}

const PLACEHOLDERS: Record<string, P> = { '+': P.Plus, '#': P.Hash, '%u': P.User, '%s': P.Subject, '%c': P.ClientId, '%a': P.Athlete };

function compile(r: TopicRule): Compiled {
  const levels = r.topic.split('/');
  const kinds = levels.map((l) => PLACEHOLDERS[l] ?? P.Literal);
  return { allow: r.effect === 'allow', levels, kinds, dynamic: kinds.includes(P.Athlete), needsUser: kinds.includes(P.User), needsSubject: kinds.includes(P.Subject) };
}

/** One kind's rules, compiled once and shared by every client of that kind. */
interface RuleSet {
  readonly pub: readonly Compiled[];
  readonly sub: readonly Compiled[];
}

const ruleSets = new WeakMap<readonly TopicRule[], Map<RuleKind, RuleSet>>();

function ruleSetFor(rules: readonly TopicRule[], kind: RuleKind): RuleSet {
  let byKind = ruleSets.get(rules);
  if (!byKind) ruleSets.set(rules, (byKind = new Map()));
  let set = byKind.get(kind);
  if (!set) {
    const pub: Compiled[] = [];
    const sub: Compiled[] = [];
    for (const r of rules) {
      if (r.kinds && !r.kinds.includes(kind)) continue;
      const c = compile(r);
      if (r.action !== 'subscribe') pub.push(c);
      if (r.action !== 'publish') sub.push(c);
    }
    byKind.set(kind, (set = { pub, sub }));
  }
  return set;
}

/**
 * One client's view of its kind's rules: the values placeholders stand for. `%u` levels of
 * one rule must all name the same user (as if the rule were written once per user).
 */
class Subject {
  constructor(
    readonly users: readonly string[],
    readonly subject: string | undefined,
    readonly clientId: string,
    readonly athletes: ConsentView,
  ) {}

  applies(r: Compiled): boolean {
    return !(r.needsUser && this.users.length === 0) && !(r.needsSubject && this.subject === undefined);
  }

  /** Does the placeholder accept this concrete level? `bound` carries the `%u` chosen so far. */
  value(kind: P, level: string, bound: { user: string | undefined }): boolean {
    switch (kind) {
      case P.User:
        if (bound.user !== undefined) return level === bound.user;
        if (!this.users.includes(level)) return false;
        bound.user = level;
        return true;
      case P.Subject:
        return level === this.subject;
      case P.ClientId:
        return level === this.clientId;
      case P.Athlete:
        return this.athletes.has(level);
      default:
        return false;
    }
  }

  /**
   * Matches a concrete topic [MQTT-4.7.1] without splitting it (this runs per PUBLISH and per
   * forwarded message): a leading wildcard never matches a `$` topic [MQTT-4.7.2-1].
   */
  matches(r: Compiled, topic: string): boolean {
    const dollar = topic.charCodeAt(0) === 36;
    let pos = 0;
    let bound: { user: string | undefined } | undefined;
    const n = r.levels.length;
    for (let i = 0; i < n; i++) {
      const k = r.kinds[i] as P;
      if (k === P.Hash) return !(i === 0 && dollar);
      if (pos > topic.length) return false; // the topic has fewer levels
      let end = topic.indexOf('/', pos);
      if (end < 0) end = topic.length;
      if (k === P.Plus) {
        if (i === 0 && dollar) return false;
      } else if (k === P.Literal) {
        const p = r.levels[i] as string;
        if (p.length !== end - pos || !topic.startsWith(p, pos)) return false;
      } else if (!this.value(k, topic.slice(pos, end), (bound ??= { user: undefined }))) return false;
      pos = end + 1;
    }
    return pos === topic.length + 1;
  }

  /** True when every topic the filter can match is matched by the rule. */
  covers(r: Compiled, filter: readonly string[]): boolean {
    const bound = { user: undefined };
    for (let i = 0; i < r.levels.length; i++) {
      const k = r.kinds[i] as P;
      const f = filter[i];
      if (k === P.Hash) return !(i === 0 && (filter[0] ?? '').startsWith('$'));
      if (f === undefined || f === '#') return false;
      if (k === P.Plus) {
        if (i === 0 && f.startsWith('$')) return false;
      } else if (k === P.Literal) {
        if (r.levels[i] !== f) return false;
      } else if (f === '+' || !this.value(k, f, bound)) return false;
    }
    return r.levels.length === filter.length;
  }

  /** True when some topic matches both the rule and the filter. */
  overlaps(r: Compiled, filter: readonly string[]): boolean {
    const bound = { user: undefined };
    const n = Math.max(r.levels.length, filter.length);
    for (let i = 0; i < n; i++) {
      const p = r.levels[i];
      const k = r.kinds[i];
      const f = filter[i];
      if (p === undefined || k === undefined || f === undefined) return k === P.Hash || f === '#';
      const pWild = k === P.Plus || k === P.Hash;
      const fWild = f === '+' || f === '#';
      // Wildcards in the first level do not reach `$` topics [MQTT-4.7.2-1].
      if (i === 0 && ((pWild && f.startsWith('$')) || (fWild && k === P.Literal && p.startsWith('$')))) return false;
      if (k === P.Hash || f === '#') return true;
      if (pWild || fWild) continue;
      if (k === P.Literal ? p !== f : !this.value(k, f, bound)) return false;
    }
    return true;
  }
}

/** `$share/<group>/<filter>` is authorized as `<filter>`. */
export function unshare(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.indexOf('/', 7);
  return rest < 0 ? filter : filter.slice(rest + 1);
}

export interface CompileOptions {
  clientId: string;
  athletes?: ConsentView;
  partialDeny?: PartialDeny;
}

/**
 * One client's access: its kind's shared compiled rules plus the few values placeholders
 * stand for, so a connection costs a small object, not a private copy of the rules. Matching
 * a concrete topic allocates nothing; the last publish decision is remembered (a device
 * publishes to one topic), consent-dependent answers never are.
 */
export class CompiledRules {
  private readonly set: RuleSet;
  private readonly who: Subject;
  private readonly partialDeny: PartialDeny;
  private lastTopic: string | undefined;
  private lastDecision = false;

  constructor(rules: readonly TopicRule[], readonly principal: Principal | null, options: CompileOptions) {
    this.set = ruleSetFor(rules, principal?.kind ?? 'anonymous');
    this.who = new Subject(principal?.users ?? NO_USERS, principal?.subject, options.clientId, options.athletes ?? NO_ATHLETES);
    this.partialDeny = options.partialDeny ?? 'refuse';
  }

  canPublish(topic: string): boolean {
    if (topic === this.lastTopic) return this.lastDecision;
    const r = this.first(this.set.pub, topic);
    const decision = r?.allow ?? false;
    if (r?.dynamic !== true) {
      this.lastTopic = topic;
      this.lastDecision = decision;
    }
    return decision;
  }

  canSubscribe(filter: string): boolean {
    const levels = unshare(filter).split('/');
    for (const r of this.set.sub) {
      if (!this.who.applies(r)) continue;
      if (r.allow) {
        if (this.who.covers(r, levels)) return true;
      } else if (this.partialDeny === 'filter' ? this.who.covers(r, levels) : this.who.overlaps(r, levels)) return false;
    }
    return false;
  }

  /** May a message on this concrete topic be delivered to this client (authorizeForward)? */
  canReceive(topic: string): boolean {
    return this.first(this.set.sub, topic)?.allow ?? false;
  }

  private first(list: readonly Compiled[], topic: string): Compiled | undefined {
    for (const r of list) if (this.who.applies(r) && this.who.matches(r, topic)) return r;
    return undefined;
  }
}
