// Alerts on the athlete page: open and past alerts and insights of the athlete, refreshed on
// each live `alert` frame; the athlete (or a consented coach, or an admin) acknowledges one.
import type { AlertJson, AlertsResponse, ServerMessage } from '@pulsehub/contracts';
import { api, ApiError } from './lib/api.js';

export interface AlertsOptions {
  token(): string | null;
  athlete(): string | null;
}

export function mountAlertsCard(o: AlertsOptions): { onMessage(m: ServerMessage): void } {
  const card = document.createElement('section');
  card.className = 'card alerts-card';
  card.id = 'alerts-card';
  card.hidden = true;
  card.setAttribute('aria-labelledby', 'alerts-h');
  card.innerHTML = `<h2 id="alerts-h">Alerts</h2>
    <h3>Open</h3><ul id="alerts-open" class="alert-list"></ul><p id="alerts-none" class="muted">No open alerts.</p>
    <details><summary>Past alerts and insights</summary><ul id="alerts-past" class="alert-list"></ul></details>
    <p id="alerts-status" role="status"></p>`;
  const main = document.querySelector('main') ?? document.body;
  main.insertBefore(card, main.children[2] ?? null);
  const status = card.querySelector<HTMLElement>('#alerts-status')!;
  const base = () => `/api/users/${encodeURIComponent(o.athlete()!)}/alerts`;

  const item = (a: AlertJson): HTMLLIElement => {
    const li = document.createElement('li');
    li.dataset.alertId = String(a.id);
    li.dataset.severity = a.severity;
    const title = document.createElement('strong');
    title.textContent = a.title;
    const when = document.createElement('small');
    const at = new Date(a.openedAt).toLocaleString();
    when.textContent = ` ${at}${a.resolvedAt ? ` → resolved ${new Date(a.resolvedAt).toLocaleTimeString()}` : ''}${a.ackedBy ? ` · acknowledged by ${a.ackedBy}` : ''}`;
    li.append(title, when);
    if (!a.ackedAt && a.severity !== 'info') {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'secondary ack';
      b.textContent = 'Acknowledge';
      b.addEventListener('click', () => {
        const token = o.token();
        if (!token) return;
        b.disabled = true;
        api(token, 'POST', `${base()}/${a.id}/ack`).then(() => void load(), (err: unknown) => {
          b.disabled = false;
          status.textContent = err instanceof ApiError ? err.message : String(err);
        });
      });
      li.append(' ', b);
    }
    return li;
  };

  let loading: Promise<void> | null = null;
  const load = (): Promise<void> => (loading ??= (async () => {
    const token = o.token();
    if (!token || !o.athlete()) return;
    try {
      const { alerts } = await api<AlertsResponse>(token, 'GET', `${base()}?limit=100`);
      const open = alerts.filter((a) => a.resolvedAt === null);
      card.querySelector('#alerts-open')!.replaceChildren(...open.map(item));
      card.querySelector('#alerts-past')!.replaceChildren(...alerts.filter((a) => a.resolvedAt !== null).map(item));
      card.querySelector<HTMLElement>('#alerts-none')!.hidden = open.length > 0;
      card.hidden = false;
    } catch (err) {
      status.textContent = err instanceof ApiError ? err.message : String(err);
    }
  })().finally(() => (loading = null)));

  return {
    onMessage(m) {
      if (m.type === 'snapshot' && m.athlete === o.athlete()) void load();
      else if (m.type === 'alert' && m.athlete === o.athlete()) void load();
    },
  };
}
