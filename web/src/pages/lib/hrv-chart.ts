// A small RMSSD chart for the athlete page: the last 24 hours from the history API (5-minute
// means of the hub's rolling 60 s RMSSD), then every live value.
import uPlot from 'uplot';
import type { BucketsResponse, ServerMessage } from '@pulsehub/contracts';
import { api } from './api.js';

const HOURS = 24;

export interface HrvChart {
  /** Loads the history once the athlete is known. */
  load(token: string, athleteId: string): Promise<void>;
  onMessage(m: ServerMessage): void;
}

/** Adds the RMSSD card after `after` and returns its handle. */
export function mountHrvChart(after: HTMLElement): HrvChart {
  const card = document.createElement('section');
  card.className = 'card hrv-card';
  card.setAttribute('aria-labelledby', 'hrv-title');
  card.innerHTML = '<h2 id="hrv-title">Heart-rate variability — RMSSD</h2><p class="muted" id="hrv-meta">Needs a strap that sends RR intervals.</p><div id="hrv-chart" class="chart" role="img" aria-label="RMSSD over the last day"></div>';
  after.after(card);
  const el = card.querySelector<HTMLElement>('#hrv-chart')!;
  const xs: number[] = [];
  const ys: number[] = [];
  const axis = { stroke: '#a9b3bf', grid: { stroke: '#2c343f', width: 1 }, ticks: { stroke: '#2c343f' } };
  const chart = new uPlot({
    width: Math.max(260, el.clientWidth), height: 140,
    scales: { x: { time: true } },
    axes: [axis, { ...axis, label: 'ms' }],
    series: [{}, { label: 'RMSSD', stroke: '#7bd88f', width: 2, points: { show: (_u, _s, i0, i1) => i1 - i0 < 40, size: 5, fill: '#7bd88f' } }],
    legend: { live: false },
  }, [xs, ys], el);
  window.addEventListener('resize', () => chart.setSize({ width: Math.max(260, el.clientWidth), height: 140 }));
  let athlete: string | null = null;
  const meta = card.querySelector<HTMLElement>('#hrv-meta')!;
  const push = (t: number, v: number) => {
    if (xs.length && t <= xs[xs.length - 1]!) return;
    xs.push(t);
    ys.push(v);
    chart.setData([xs, ys]);
    meta.textContent = `now ${Math.round(v)} ms (ln ${Math.log(v).toFixed(2)}), rolling 60 s of artefact-corrected RR intervals`;
  };
  return {
    async load(token, athleteId) {
      athlete = athleteId;
      const to = Date.now();
      const q = new URLSearchParams({ metric: 'hrv_rmssd', from: new Date(to - HOURS * 3600_000).toISOString(), to: new Date(to).toISOString(), bucket: '5m' });
      try {
        const { buckets } = await api<BucketsResponse>(token, 'GET', `/api/users/${encodeURIComponent(athleteId)}/observations?${q}`);
        for (const b of buckets) push((typeof b.t === 'number' ? b.t : Date.parse(b.t)) / 1000, Math.round(b.avg * 10) / 10);
      } catch {
        // the live values still come
      }
    },
    onMessage(m) {
      if (m.type !== 'event' || m.event.userId !== athlete || m.event.metric !== 'hrv_rmssd') return;
      const v = m.event.values.rmssd?.value;
      if (v !== undefined) push(Date.parse('at' in m.event.time ? m.event.time.at : m.event.time.end) / 1000, v);
    },
  };
}
