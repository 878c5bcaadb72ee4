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

const NO_ATHLETES: ConsentView = { has: () => false };
const ATHLETE = '%a';

interface Compiled {
  readonly allow: boolean;
  readonly levels: readonly string[];
  readonly dynamic: boolean;
}

/** Matches a concrete topic [MQTT-4.7.1]: a leading wildcard never matches a `$` topic [MQTT-4.7.2-1]. */
function matches(levels: readonly string[], topic: readonly string[], athletes: ConsentView): boolean {
  const dollar = (topic[0] ?? '').startsWith('$');
  for (let i = 0; i < levels.length; i++) {
    const p = levels[i] as string;
    if (p === '#') return !(i === 0 && dollar);
    const t = topic[i];
    if (t === undefined) return false;
    if (p === '+') {
      if (i === 0 && dollar) return false;
    } else if (p === ATHLETE) {
      if (!athletes.has(t)) return false;
    } else if (p !== t) return false;
  }
  return levels.length === topic.length;
}

/** True when every topic the filter can match is matched by the pattern. */
function covers(levels: readonly string[], filter: readonly string[], athletes: ConsentView): boolean {
  for (let i = 0; i < levels.length; i++) {
    const p = levels[i] as string;
    const f = filter[i];
    if (p === '#') return !(i === 0 && (filter[0] ?? '').startsWith('$'));
    if (f === undefined || f === '#') return false;
    if (p === '+') {
      if (i === 0 && f.startsWith('$')) return false;
    } else if (p === ATHLETE) {
      if (f === '+' || !athletes.has(f)) return false;
    } else if (p !== f) return false;
  }
  return levels.length === filter.length;
}

/** True when some topic matches both the pattern and the filter. */
function overlaps(levels: readonly string[], filter: readonly string[], athletes: ConsentView): boolean {
  const n = Math.max(levels.length, filter.length);
  for (let i = 0; i < n; i++) {
    const p = levels[i];
    const f = filter[i];
    if (p === undefined || f === undefined) return p === '#' || f === '#';
    const pWild = p === '+' || p === '#';
    const fWild = f === '+' || f === '#';
    // Wildcards in the first level do not reach `$` topics [MQTT-4.7.2-1].
    if (i === 0 && ((pWild && f.startsWith('$')) || (fWild && p.startsWith('$')))) return false;
    if (p === '#' || f === '#') return true;
    if (pWild || fWild) {
      if (p === ATHLETE && !fWild) return athletes.has(f) && overlaps(levels.slice(i + 1), filter.slice(i + 1), athletes);
      continue;
    }
    if (p === ATHLETE) {
      if (!athletes.has(f)) return false;
    } else if (p !== f) return false;
  }
  return true;
}

function expand(topic: string, principal: Principal | null, clientId: string): string[] {
  let out = [topic];
  if (topic.includes('%s')) out = principal ? out.map((t) => replaceLevel(t, '%s', principal.subject)) : [];
  if (topic.includes('%c')) out = out.map((t) => replaceLevel(t, '%c', clientId));
  if (topic.includes('%u')) out = out.flatMap((t) => (principal?.users ?? []).map((u) => replaceLevel(t, '%u', u)));
  return out;
}

function replaceLevel(topic: string, token: string, value: string): string {
  return topic
    .split('/')
    .map((l) => (l === token ? value : l))
    .join('/');
}

/** `$share/<group>/<filter>` is authorized as `<filter>`. */
export function unshare(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.indexOf('/', 7);
  return rest < 0 ? filter : filter.slice(rest + 1);
}

const CACHE_LIMIT = 256;

/**
 * One client's rules, compiled at CONNECT: placeholders substituted, rules for other kinds
 * dropped, split into levels. Decisions for concrete topics are cached, so the per-PUBLISH
 * check for a device (always the same topic) is one Map lookup.
 */
export class CompiledRules {
  private readonly pub: Compiled[];
  private readonly sub: Compiled[];
  private pubCache: Map<string, boolean> | undefined;
  private fwdCache: Map<string, boolean> | undefined;

  constructor(rules: readonly TopicRule[], readonly principal: Principal | null, clientId: string, private readonly athletes: ConsentView = NO_ATHLETES) {
    const kind: RuleKind = principal?.kind ?? 'anonymous';
    this.pub = [];
    this.sub = [];
    for (const r of rules) {
      if (r.kinds && !r.kinds.includes(kind)) continue;
      for (const topic of expand(r.topic, principal, clientId)) {
        const c: Compiled = { allow: r.effect === 'allow', levels: topic.split('/'), dynamic: topic.split('/').includes(ATHLETE) };
        if (r.action !== 'subscribe') this.pub.push(c);
        if (r.action !== 'publish') this.sub.push(c);
      }
    }
  }

  canPublish(topic: string): boolean {
    const hit = this.pubCache?.get(topic);
    if (hit !== undefined) return hit;
    const levels = topic.split('/');
    let decision = false;
    let dynamic = false;
    for (const r of this.pub) {
      if (matches(r.levels, levels, this.athletes)) {
        decision = r.allow;
        dynamic = r.dynamic;
        break;
      }
    }
    if (!dynamic) this.pubCache = remember(this.pubCache, topic, decision);
    return decision;
  }

  canSubscribe(filter: string): boolean {
    const levels = unshare(filter).split('/');
    for (const r of this.sub) {
      if (r.allow ? covers(r.levels, levels, this.athletes) : overlaps(r.levels, levels, this.athletes)) return r.allow;
    }
    return false;
  }

  /** May a message on this concrete topic be delivered to this client (authorizeForward)? */
  canReceive(topic: string): boolean {
    const hit = this.fwdCache?.get(topic);
    if (hit !== undefined) return hit;
    const levels = topic.split('/');
    let decision = false;
    let dynamic = false;
    for (const r of this.sub) {
      if (matches(r.levels, levels, this.athletes)) {
        decision = r.allow;
        dynamic = r.dynamic;
        break;
      }
    }
    // Consent-dependent answers are never cached: a revocation must cut the next message.
    if (!dynamic) this.fwdCache = remember(this.fwdCache, topic, decision);
    return decision;
  }
}

function remember(cache: Map<string, boolean> | undefined, topic: string, decision: boolean): Map<string, boolean> {
  const m = cache ?? new Map<string, boolean>();
  if (m.size >= CACHE_LIMIT) m.clear();
  m.set(topic, decision);
  return m;
}
