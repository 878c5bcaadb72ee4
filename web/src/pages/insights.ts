// The athlete page's insights card (issue 14): what the analyzer sync brought back, loaded from
// GET /api/users/:id/analyzer-insights and extended live by `insight` frames on /live.
import type { InsightJson, AnalyzerInsightsResponse, ServerMessage } from '@pulsehub/contracts';
import { api } from './lib/api.js';

type Shown = Pick<InsightJson, 'id' | 'kind' | 'severity' | 'title' | 'body' | 'metric' | 'at' | 'createdAt'>;

export function mountInsights(o: { token: () => string | null; athlete: () => string | null }): { load(): Promise<void>; onMessage(m: ServerMessage): void } {
  const card = document.querySelector<HTMLElement>('#insights-card')!;
  const list = document.querySelector<HTMLElement>('#insights')!;
  const seen = new Set<number>();
  const render = (i: Shown, first: boolean) => {
    if (seen.has(i.id)) return;
    seen.add(i.id);
    const li = document.createElement('li');
    li.className = `insight ${i.severity}`;
    li.dataset.kind = i.kind;
    const h = document.createElement('strong');
    h.textContent = i.title;
    const meta = document.createElement('small');
    meta.className = 'muted';
    meta.textContent = ` ${i.severity} · ${new Date(i.at ?? i.createdAt).toLocaleString()}`;
    const p = document.createElement('p');
    p.textContent = i.body;
    li.append(h, meta, p);
    if (first) list.prepend(li);
    else list.append(li);
    card.hidden = false;
  };
  return {
    async load() {
      const t = o.token();
      const a = o.athlete();
      if (!t || !a) return;
      try {
        const { insights } = await api<AnalyzerInsightsResponse>(t, 'GET', `/api/users/${encodeURIComponent(a)}/analyzer-insights`);
        for (const i of insights) render(i, false);
      } catch {
        // Not visible to this token, or none: the card stays hidden.
      }
    },
    onMessage(m) {
      if (m.type === 'insight' && m.athlete === o.athlete()) render(m.insight, true);
    },
  };
}
