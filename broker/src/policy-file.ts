import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PulseHubError } from '@pulsehub/contracts';
import { DEFAULT_RULES, PartialDeny, TopicRule } from './rules.js';

/**
 * A broker policy file, for running the broker on its own (`pulsehub broker --policy <file>`),
 * e.g. under third-party conformance suites. It plays the role of Mosquitto's
 * `allow_anonymous` and `acl_file`:
 *
 * ```json
 * { "allowAnonymous": true,
 *   "rules": [{ "effect": "deny", "action": "subscribe", "topic": "test/nosubscribe" }] }
 * ```
 *
 * `rules` are topic rules (rules.ts) checked in order before PulseHub's built-in rules; the
 * first that applies decides. `replaceDefaults: true` drops the built-in rules altogether.
 * `partialDeny: "filter"` grants a subscription that only partly overlaps a deny rule (e.g. `#`)
 * and drops the denied topics at delivery, as Mosquitto does; the denied filter itself is
 * still refused with SUBACK 0x80.
 */
export const BrokerPolicy = z
  .object({
    allowAnonymous: z.boolean().default(false),
    rules: z.array(TopicRule).default([]),
    replaceDefaults: z.boolean().default(false),
    /** `filter`: a subscription partly overlapping a deny rule is granted and filtered per message (Mosquitto's behaviour); `refuse`: SUBACK 0x80. */
    partialDeny: PartialDeny.default('refuse'),
  })
  .strict();
export type BrokerPolicy = z.infer<typeof BrokerPolicy>;

export function parseBrokerPolicy(input: unknown, source = 'policy'): BrokerPolicy {
  const parsed = BrokerPolicy.safeParse(input);
  if (!parsed.success) throw new PulseHubError('PH_CONFIG_INVALID', `${source}: ${z.prettifyError(parsed.error)}`);
  return Object.freeze(parsed.data);
}

/** Reads and validates a JSON policy file; every problem is reported at once. */
export function loadPolicyFile(path: string): BrokerPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new PulseHubError('PH_CONFIG_INVALID', `policy file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PulseHubError('PH_CONFIG_INVALID', `policy file ${path}: not JSON (${(err as Error).message})`);
  }
  return parseBrokerPolicy(json, `policy file ${path}`);
}

/** The broker options a policy stands for: `createBroker({ ...policyOptions(p), tokens })`. */
export function policyOptions(policy: BrokerPolicy): { allowAnonymous: boolean; rules: TopicRule[]; partialDeny: PartialDeny } {
  return { allowAnonymous: policy.allowAnonymous, rules: policy.replaceDefaults ? [...policy.rules] : [...policy.rules, ...DEFAULT_RULES], partialDeny: policy.partialDeny };
}
