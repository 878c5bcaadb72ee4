// Admin: users, devices, tokens, coach consents, dead letters, webhooks with their delivery log,
// the analyzer sync log and the audit log. Every change
// goes through the REST API, which writes the audit log.
import type {
  AdminAuditResponse, AdminConsentsResponse, AdminTokensResponse, AdminUsersResponse, DeadLettersResponse, DeviceRegisteredResponse, DevicesResponse, MintedTokenResponse,
  SyncLogResponse, WebhookDetailResponse, WebhooksResponse,
} from '@pulsehub/contracts';
import { api, ApiError } from './lib/api.js';
import { askToken, forgetToken, readToken } from './lib/token.js';
import { mountPendingWeighIns } from './pending.js';

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
let token = readToken();

type Cell = string | Node;

function setStatus(s: string): void {
  $('#status').textContent = s;
}

const when = (v: string | null) => (v ? new Date(v).toLocaleString() : '—');
const badge = (on: boolean, yes: string, no: string) => {
  const b = document.createElement('span');
  b.className = on ? 'badge' : 'badge off';
  b.textContent = on ? yes : no;
  return b;
};

function button(label: string, onClick: () => Promise<unknown>, confirmText?: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'secondary';
  b.textContent = label;
  b.addEventListener('click', () => {
    if (confirmText && !window.confirm(confirmText)) return;
    b.disabled = true;
    onClick().then(() => refreshAll(), (err: unknown) => setStatus(describe(err))).finally(() => (b.disabled = false));
  });
  return b;
}

function fill<Row>(list: string, rows: Row[], cells: (r: Row) => Cell[]): void {
  const body = document.querySelector<HTMLElement>(`[data-list="${list}"]`)!;
  body.textContent = '';
  for (const r of rows) {
    const tr = document.createElement('tr');
    for (const c of cells(r)) {
      const td = document.createElement('td');
      td.append(c);
      tr.append(td);
    }
    body.append(tr);
  }
  if (rows.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 8;
    td.className = 'muted';
    td.textContent = 'none';
    tr.append(td);
    body.append(tr);
  }
}

function describe(err: unknown): string {
  return err instanceof ApiError ? `${err.code}: ${err.message}` : String((err as Error).message ?? err);
}

const get = <T>(path: string) => api<T>(token!, 'GET', path);

async function refreshAll(): Promise<void> {
  const results = await Promise.allSettled([
    get<AdminUsersResponse>('/api/admin/users').then(({ users }) => fill('users', users, (u) => [u.id, u.name, String(u.birthYear ?? '—'), String(u.maxHr ?? '—'), link(`athlete.html?athlete=${encodeURIComponent(u.id)}`, 'view')])),
    get<DevicesResponse>('/api/devices').then(({ devices }) => fill('devices', devices, (d) => [d.id, d.users.length ? d.users.join(', ') : (d.userId ?? '—'), d.kind, d.model ?? '—', when(d.lastSeenAt), d.battery === null ? '—' : `${d.battery}%`, badge(!d.revokedAt, 'active', 'revoked'), d.revokedAt ? '' : button('Revoke', () => api(token!, 'DELETE', `/api/devices/${encodeURIComponent(d.id)}`), `Revoke device ${d.id}? It is disconnected and can no longer publish.`)])),
    get<AdminTokensResponse>('/api/admin/tokens').then(({ tokens }) => fill('tokens', tokens, (t) => {
      const expired = t.expiresAt !== null && Date.parse(t.expiresAt) < Date.now();
      const mono = document.createElement('span');
      mono.className = 'mono';
      mono.textContent = t.jti;
      return [mono, t.kind, t.subject, when(t.createdAt), when(t.expiresAt), badge(!t.revokedAt && !expired, 'valid', t.revokedAt ? 'revoked' : 'expired'), t.revokedAt || expired ? '' : button('Revoke', () => api(token!, 'DELETE', `/api/tokens/${encodeURIComponent(t.jti)}`), `Revoke token ${t.jti}? Its live streams end at once.`)];
    })),
    get<AdminConsentsResponse>('/api/admin/consents').then(({ consents }) => fill('consents', consents, (c) => [c.athleteId, c.viewerId, when(c.grantedAt), badge(!c.revokedAt, 'sharing', 'revoked'), c.revokedAt ? button('Grant again', () => api(token!, 'POST', '/api/consents', { athleteId: c.athleteId, viewerId: c.viewerId })) : button('Revoke', () => api(token!, 'DELETE', `/api/consents/${encodeURIComponent(c.athleteId)}/${encodeURIComponent(c.viewerId)}`), `Stop sharing ${c.athleteId} with ${c.viewerId}? Their live view ends at once.`)])),
    get<DeadLettersResponse>('/api/deadletters?limit=100').then(({ deadLetters }) => fill('deadletters', deadLetters, (d) => [when(d.receivedAt), d.reason, d.deviceId ?? '—', d.userId ?? '—', d.detail.slice(0, 160), preview(d.payload)])),
    get<WebhooksResponse>('/api/webhooks').then(async ({ webhooks }) => {
      fill('webhooks', webhooks, (w) => [w.userId, w.url, `${w.events.join(', ')}${w.metrics ? ` (${w.metrics.join(', ')})` : ''}`, `${w.windowMs} ms / ${w.maxBatch}`, badge(w.active, 'active', 'paused'),
        button(w.active ? 'Pause' : 'Resume', () => api(token!, 'PATCH', `/api/webhooks/${encodeURIComponent(w.id)}`, { active: !w.active }))]);
      const details = await Promise.all(webhooks.map((w) => get<WebhookDetailResponse>(`/api/webhooks/${encodeURIComponent(w.id)}`)));
      const deliveries = details.flatMap((d) => d.deliveries).sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, 100);
      fill('deliveries', deliveries, (d) => [when(d.createdAt), d.userId, d.status === 'failed' ? button('Replay', () => api(token!, 'POST', '/api/webhooks/deliveries/replay', { id: d.id })) : d.status, String(d.entries), String(d.attempts), String(d.lastStatus ?? '—'), d.lastLatencyMs === null ? '—' : `${d.lastLatencyMs} ms`, (d.lastError ?? '').slice(0, 160)]);
    }),
    get<SyncLogResponse>('/api/admin/sync-log').then(({ runs }) => fill('synclog', runs, (r) => [when(r.startedAt), r.userId, r.trigger, r.status, String(r.count), String(r.insights), r.cursorAfter ? `${r.cursorAfter.txid}/${r.cursorAfter.id}` : '—', (r.error ?? '').slice(0, 160)])),
    get<AdminAuditResponse>('/api/admin/audit').then(({ audit }) => fill('audit', audit, (a) => [when(a.at), `${a.actor} (${a.actorKind})`, a.action, a.target, a.details === undefined ? '' : JSON.stringify(a.details).slice(0, 200)])),
  ]);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.some((f) => f.reason instanceof ApiError && f.reason.status === 401)) {
    forgetToken();
    setStatus('token refused — enter an admin token');
    token = await askToken($<HTMLFormElement>('#login'), $<HTMLInputElement>('#token'));
    return refreshAll();
  }
  setStatus(failed.length ? describe(failed[0]!.reason) : `updated ${new Date().toLocaleTimeString()}`);
}

function link(href: string, label: string): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = label;
  return a;
}

function preview(b64: string): HTMLElement {
  const s = document.createElement('span');
  s.className = 'mono';
  try {
    s.textContent = atob(b64).slice(0, 120);
  } catch {
    s.textContent = b64.slice(0, 120);
  }
  return s;
}

function onSubmit(id: string, handler: (data: FormData) => Promise<unknown>): void {
  const form = $<HTMLFormElement>(id);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    handler(new FormData(form)).then(() => {
      form.reset();
      return refreshAll();
    }, (err: unknown) => setStatus(describe(err)));
  });
}

const num = (v: FormDataEntryValue | null) => (v === null || v === '' ? undefined : Number(v));

onSubmit('#user-form', (f) => api(token!, 'POST', '/api/users', { id: f.get('id'), name: f.get('name'), birthYear: num(f.get('birthYear')), maxHr: num(f.get('maxHr')) }));
onSubmit('#device-form', async (f) => {
  const model = String(f.get('model') ?? '');
  const r = await api<DeviceRegisteredResponse>(token!, 'POST', '/api/devices', { id: f.get('id'), userId: f.get('userId'), kind: f.get('kind'), ...(model ? { model } : {}) });
  const out = $('#device-creds');
  out.hidden = false;
  out.innerHTML = '<strong>Shown once — put these in the device:</strong><br>username <code></code><br>password <code></code><br>topic <code></code>';
  const codes = out.querySelectorAll('code');
  codes[0]!.textContent = r.mqtt.username;
  codes[1]!.textContent = r.mqtt.password;
  codes[2]!.textContent = r.mqtt.topic;
});
onSubmit('#token-form', async (f) => {
  const users = String(f.get('users') ?? '').split(/[\s,]+/).filter(Boolean);
  const r = await api<MintedTokenResponse>(token!, 'POST', '/api/tokens', { kind: f.get('kind'), subject: f.get('subject'), users, ttlSeconds: (num(f.get('days')) ?? 30) * 86400 });
  const out = $('#token-out');
  out.hidden = false;
  out.innerHTML = '<strong>Shown once:</strong> <code></code>';
  out.querySelector('code')!.textContent = r.token;
});
onSubmit('#consent-form', (f) => api(token!, 'POST', '/api/consents', { athleteId: f.get('athleteId'), viewerId: f.get('viewerId') }));

if (token) void refreshAll();
else void askToken($<HTMLFormElement>('#login'), $<HTMLInputElement>('#token')).then((t) => {
  token = t;
  return refreshAll();
});
setInterval(() => { if (token && document.visibilityState === 'visible') void refreshAll(); }, 15_000);
mountPendingWeighIns({ token: () => token });
