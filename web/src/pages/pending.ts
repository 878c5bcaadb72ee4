// "Pending weigh-ins": readings of a shared scale the hub could not attribute (a guest, or two
// people too close to tell apart). On the athlete page the athlete takes one ("It's me") or
// discards it; on the admin page an admin assigns it to any of the scale's users. Shared by
// both pages: each calls mountPendingWeighIns once; the card stays hidden while nothing waits.
import type { PendingReadingJson, PendingReadingsResponse } from '@pulsehub/contracts';
import { api, ApiError } from './lib/api.js';

export interface PendingOptions {
  token(): string | null;
  /** The athlete whose weigh-ins are shown (athlete page); absent: every pending one (admin page). */
  athlete?: () => string | null;
  refreshMs?: number;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

const REASONS: Record<string, string> = { unknown: 'matches nobody on this scale', ambiguous: 'too close to tell apart' };

export function mountPendingWeighIns(o: PendingOptions): { refresh(): Promise<void> } {
  const status = el('p', { className: 'pending-status' });
  const list = el('ul', { className: 'pending-list' });
  const card = el('section', { className: 'card pending-weighins', id: 'pending-weighins', hidden: true }, el('h2', { id: 'pending-h' }, 'Pending weigh-ins'), list, status);
  card.setAttribute('aria-labelledby', 'pending-h');
  list.style.cssText = 'list-style:none;margin:0;padding:0;display:grid;gap:.5rem';
  (document.querySelector('main') ?? document.body).append(card);

  const act = async (what: () => Promise<unknown>) => {
    try {
      await what();
      status.textContent = '';
    } catch (err) {
      status.textContent = err instanceof ApiError ? `${err.code}: ${err.message}` : String(err);
    }
    await refresh();
  };

  const row = (p: PendingReadingJson, token: string, athlete: string | null): HTMLLIElement => {
    const when = new Date(p.measuredAt).toLocaleString();
    const what = `${p.kg === null ? '?' : p.kg.toFixed(1)} kg${p.impedanceOhm === null ? '' : ` · ${Math.round(p.impedanceOhm)} Ω`}`;
    const li = el('li', { className: 'pending-row' }, el('strong', {}, what), ` ${when} · ${p.scaleId} · ${REASONS[p.reason] ?? p.reason} `);
    li.style.cssText = 'display:flex;flex-wrap:wrap;gap:.5rem;align-items:center';
    li.dataset.id = p.id;
    const assign = (userId: string) => act(() => api(token, 'POST', `/api/pending-readings/${encodeURIComponent(p.id)}/assign`, { userId }));
    if (athlete) {
      li.append(el('button', { type: 'button', className: 'pending-assign', onclick: () => void assign(athlete) }, "It's me"));
    } else {
      const pick = el('select', { className: 'pending-user' }, ...p.candidates.map((c) => el('option', { value: c }, c)));
      pick.setAttribute('aria-label', `whose weigh-in is ${what}`);
      li.append(pick, el('button', { type: 'button', className: 'pending-assign', onclick: () => void assign(pick.value) }, 'Assign'));
    }
    li.append(el('button', {
      type: 'button', className: 'pending-discard',
      onclick: () => { if (confirm(`Discard the weigh-in of ${what}? It is not stored for anyone.`)) void act(() => api(token, 'DELETE', `/api/pending-readings/${encodeURIComponent(p.id)}`)); },
    }, 'Discard'));
    return li;
  };

  let waiting: ReturnType<typeof setTimeout> | undefined;
  async function refresh(): Promise<void> {
    const token = o.token();
    const athlete = o.athlete ? o.athlete() : null;
    if (!token || (o.athlete && !athlete)) {
      // the page is still asking for a token (or learning whose page it is): look again soon
      if (!waiting) waiting = setTimeout(() => { waiting = undefined; void refresh(); }, 1000);
      return;
    }
    try {
      const path = athlete ? `/api/users/${encodeURIComponent(athlete)}/pending-readings` : '/api/pending-readings';
      const { pending } = await api<PendingReadingsResponse>(token, 'GET', path);
      list.replaceChildren(...pending.map((p) => row(p, token, athlete)));
      card.hidden = pending.length === 0;
    } catch (err) {
      // a coach or overlay token may not see them: no card, no error
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) card.hidden = true;
    }
  }

  void refresh();
  setInterval(() => { if (document.visibilityState === 'visible') void refresh(); }, o.refreshMs ?? 15_000);
  return { refresh };
}
