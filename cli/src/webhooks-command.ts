import { parseArgs } from 'node:util';
import type { HubConfig } from './config.js';
import { adminHubClient } from './hub-client.js';

export const WEBHOOKS_USAGE = `  pulsehub webhooks list [--user ID] [--json]
  pulsehub webhooks deliveries <subscription-id> [--json]
  pulsehub webhooks replay (--id DELIVERY | --subscription ID) [--limit N]
                                             webhook subscriptions, their delivery log, and replay of
                                             failed deliveries on the running hub (its REST API)`;

interface Webhook { id: string; userId: string; url: string; events: string[]; metrics: string[] | null; active: boolean; windowMs: number; maxBatch: number }
interface Delivery { id: string; status: string; entries: number; attempts: number; lastStatus: number | null; lastLatencyMs: number | null; lastError: string | null; createdAt: string; deliveredAt: string | null }

/** Like `pulsehub deadletters`: a short-lived admin token signed with the data directory's keys, the hub's REST API. */
export async function webhooksCommand(args: string[], config: HubConfig, out: (line: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { user: { type: 'string' }, id: { type: 'string' }, subscription: { type: 'string' }, limit: { type: 'string' }, url: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const [sub, target] = positionals;
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  const bad = (sub !== 'list' && sub !== 'deliveries' && sub !== 'replay') || (sub === 'deliveries' && !target)
    || (sub === 'replay' && values.id === undefined && values.subscription === undefined) || (limit !== undefined && !(Number.isInteger(limit) && limit > 0));
  if (bad) {
    console.error(`usage:\n${WEBHOOKS_USAGE}`);
    return 2;
  }
  const { call } = await adminHubClient(config, values.url);

  if (sub === 'list') {
    const q = values.user ? `?userId=${encodeURIComponent(values.user)}` : '';
    const { webhooks } = (await call('GET', `/api/webhooks${q}`)) as { webhooks: Webhook[] };
    if (values.json) {
      out(JSON.stringify(webhooks, null, 2));
      return 0;
    }
    for (const w of webhooks) out(`${w.id}  ${w.userId}  ${w.active ? 'active' : 'paused'}  ${w.events.join(',')}${w.metrics ? ` [${w.metrics.join(',')}]` : ''}  ${w.url}  window=${w.windowMs}ms max=${w.maxBatch}`);
    out(`${webhooks.length} webhook(s)`);
    return 0;
  }
  if (sub === 'deliveries') {
    const { deliveries } = (await call('GET', `/api/webhooks/${encodeURIComponent(target!)}`)) as { deliveries: Delivery[] };
    if (values.json) {
      out(JSON.stringify(deliveries, null, 2));
      return 0;
    }
    for (const d of deliveries) {
      out(`${d.id}  ${d.createdAt}  ${d.status}  entries=${d.entries} attempts=${d.attempts} http=${d.lastStatus ?? '-'} ${d.lastLatencyMs ?? '-'}ms${d.lastError ? `  ${d.lastError.slice(0, 160)}` : ''}`);
    }
    out(`${deliveries.length} deliveries`);
    return 0;
  }
  const { replayed } = (await call('POST', '/api/webhooks/deliveries/replay', {
    ...(values.id ? { id: values.id } : {}), ...(values.subscription ? { subscriptionId: values.subscription } : {}), ...(limit !== undefined ? { limit } : {}),
  })) as { replayed: string[] };
  for (const id of replayed) out(`${id} pending again`);
  out(`${replayed.length} delivery(ies) replayed`);
  return 0;
}
