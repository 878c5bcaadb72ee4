import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { PulseHubError } from '@pulsehub/contracts';

/**
 * The SSRF guard of outbound requests (webhooks). A target is reached only at a public unicast
 * address: loopback, link-local, private (RFC 1918), carrier-grade NAT, unique-local, multicast,
 * broadcast, unspecified, reserved and documentation ranges, and the IPv6 forms that embed an
 * IPv4 address (IPv4-mapped, NAT64, 6to4, Teredo) are refused — so the hub's own Postgres and
 * Redis are not reachable through a webhook URL. ipaddr.js classifies (`range()`), and an
 * IPv4-mapped IPv6 address is judged as the IPv4 address it carries (`process`).
 *
 * A host an admin allowlisted (PULSEHUB_WEBHOOK_ALLOW_HOSTS, exact host name or address) skips
 * the check: an internal automation server, or the tests' receiver on 127.0.0.1.
 */
export function addressClass(address: string): string {
  const ip = ipaddr.process(address);
  return ip.range();
}

/** Why an address may not be a webhook target, or undefined when it may. */
export function refusedAddress(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const range = addressClass(address);
  return range === 'unicast' ? undefined : range;
}

export interface ResolvedTarget {
  /** The address to connect to (checked). */
  address: string;
  family: 4 | 6;
}

/** `host` as in a URL: IPv6 literals come in brackets. */
const bare = (host: string) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/**
 * Resolves a target host at send time and returns the first address the guard allows; the caller
 * connects to exactly that address (no second resolution, so no DNS-rebinding gap).
 */
export async function resolveTarget(host: string, allowHosts: ReadonlySet<string>): Promise<ResolvedTarget> {
  const name = bare(host).toLowerCase();
  const allowed = allowHosts.has(name);
  const literal = isIP(name);
  const candidates = literal ? [{ address: name, family: literal as 4 | 6 }] : (await lookup(name, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family as 4 | 6 }));
  if (allowed) {
    const first = candidates[0];
    if (!first) throw new PulseHubError('PH_WEBHOOK_ADDRESS_REFUSED', `${name} resolves to no address`);
    return first;
  }
  const reasons: string[] = [];
  for (const c of candidates) {
    const why = refusedAddress(c.address);
    if (!why) return c;
    reasons.push(`${c.address} (${why})`);
  }
  throw new PulseHubError('PH_WEBHOOK_ADDRESS_REFUSED', `${name} resolves only to refused addresses: ${reasons.join(', ') || 'none'}; an admin may allow the host with PULSEHUB_WEBHOOK_ALLOW_HOSTS`);
}

/**
 * The save-time check of a webhook URL: http(s), no credentials in it, and an IP literal host
 * must pass the guard (names are checked at send time, each time, since DNS answers change).
 */
export function checkWebhookUrl(raw: string, allowHosts: ReadonlySet<string>): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PulseHubError('PH_WEBHOOK_URL_INVALID', 'the webhook URL is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PulseHubError('PH_WEBHOOK_URL_INVALID', 'the webhook URL must be http:// or https://');
  if (url.username || url.password) throw new PulseHubError('PH_WEBHOOK_URL_INVALID', 'the webhook URL must not carry credentials (the signature authenticates the hub)');
  const host = bare(url.hostname).toLowerCase();
  if (isIP(host) && !allowHosts.has(host)) {
    const why = refusedAddress(host);
    if (why) throw new PulseHubError('PH_WEBHOOK_ADDRESS_REFUSED', `${host} is a ${why} address; an admin may allow the host with PULSEHUB_WEBHOOK_ALLOW_HOSTS`);
  }
  if (host === 'localhost' && !allowHosts.has(host)) throw new PulseHubError('PH_WEBHOOK_ADDRESS_REFUSED', 'localhost is loopback; an admin may allow the host with PULSEHUB_WEBHOOK_ALLOW_HOSTS');
  return url;
}
