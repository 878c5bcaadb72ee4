import { parseArgs } from 'node:util';
import type { HubConfig } from './config.js';
import { adminHubClient } from './hub-client.js';

export const DEADLETTERS_USAGE = `  pulsehub deadletters list [--reason CODE] [--id N] [--limit N] [--json]
  pulsehub deadletters replay (--reason CODE | --id N) [--limit N]
                                             list / replay dead letters on the running hub (its REST API,
                                             --url or PULSEHUB_URL, default this config's HTTP port)`;

interface Row { id: number; receivedAt: string; reason: string; deviceId: string | null; userId: string | null; topic: string; detail: string; payload: string; replayedAt: string | null }

/**
 * Talks to the running hub's REST API with a short-lived admin token signed by the keys in
 * the data directory (or the environment): PGlite admits one process, so the CLI cannot open
 * the database itself while the hub runs.
 */
export async function deadlettersCommand(args: string[], config: HubConfig, out: (line: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { reason: { type: 'string' }, id: { type: 'string' }, limit: { type: 'string' }, url: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  const [sub] = positionals;
  const id = values.id === undefined ? undefined : Number(values.id);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if ((sub !== 'list' && sub !== 'replay') || (id !== undefined && !(Number.isInteger(id) && id > 0)) || (limit !== undefined && !(Number.isInteger(limit) && limit > 0))) {
    console.error(`usage:\n${DEADLETTERS_USAGE}`);
    return 2;
  }
  if (sub === 'replay' && values.reason === undefined && id === undefined) {
    console.error('replay needs --reason CODE or --id N (replaying everything at once is not what you want after one adapter fix)');
    return 2;
  }
  const { call } = await adminHubClient(config, values.url);

  if (sub === 'list') {
    let rows: Row[];
    if (id !== undefined) rows = [((await call('GET', `/api/deadletters/${id}`)) as { deadLetter: Row }).deadLetter];
    else {
      const q = new URLSearchParams({ limit: String(limit ?? 100) });
      if (values.reason) q.set('reason', values.reason);
      rows = ((await call('GET', `/api/deadletters?${q}`)) as { deadLetters: Row[] }).deadLetters;
    }
    if (id !== undefined && values.reason && rows[0]?.reason !== values.reason) rows = [];
    if (values.json) {
      out(JSON.stringify(rows, null, 2));
      return 0;
    }
    for (const r of rows) {
      const payload = Buffer.from(r.payload, 'base64').toString('utf8').replace(/\s+/g, ' ');
      out(`#${r.id}  ${r.receivedAt}  ${r.reason}  device=${r.deviceId ?? '-'} user=${r.userId ?? '-'}${r.replayedAt ? `  replayed ${r.replayedAt}` : ''}`);
      out(`    ${r.detail.split('\n')[0]?.slice(0, 200) ?? ''}`);
      out(`    payload: ${payload.slice(0, 200)}${payload.length > 200 ? '…' : ''}`);
    }
    out(`${rows.length} dead letter(s)`);
    return 0;
  }
  const report = (await call('POST', '/api/deadletters/replay', { ...(values.reason ? { reason: values.reason } : {}), ...(id !== undefined ? { id } : {}), ...(limit !== undefined ? { limit } : {}) })) as {
    replayed: { id: number; events: number; stored: number }[]; failed: { id: number; reason: string; detail: string }[];
  };
  for (const r of report.replayed) out(`#${r.id} replayed: ${r.events} reading(s), ${r.stored} new`);
  for (const f of report.failed) out(`#${f.id} still rejected: ${f.reason}: ${f.detail.split('\n')[0]?.slice(0, 200) ?? ''}`);
  out(`${report.replayed.length} replayed, ${report.failed.length} still rejected`);
  return report.failed.length > 0 && report.replayed.length === 0 ? 1 : 0;
}
