// Athlete view: live heart rate (uPlot) and history from the history API, zoom from a day to a year.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { BucketsResponse, OverlayTokenResponse, ServerMessage } from '@pulsehub/contracts';
import { api, ApiError } from './lib/api.js';
import { mountHrvChart } from './lib/hrv-chart.js';
import { LiveConnection } from './lib/live.js';
import { askToken, forgetToken, readToken } from './lib/token.js';
import { mountAlertsCard } from './alerts.js';
import { ZONE_NAMES, zoneColor } from './lib/zones.js';
import { OVERLAY_STYLE_NAMES, OVERLAY_STYLES, overlayQuery, styleDefaults, type OverlayOptions, type OverlayStyle } from './lib/overlay-options.js';
import { mountPendingWeighIns } from './pending.js';
import { mountFtpCard } from './ftp.js';
import { setupPhoneCard } from './phone-link.js';
import { mountGoalsCard, mountLogCard } from './log.js';
import { mountInsights } from './insights.js';

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;
const params = new URLSearchParams(location.search);
let athleteId = params.get('athlete');
let token = readToken();
let maxHr = 0;

const LIVE_WINDOW_S = 600;
const liveX: number[] = [];
const liveY: number[] = [];
let liveChart: uPlot | null = null;
let histChart: uPlot | null = null;

const axisStyle = { stroke: '#a9b3bf', grid: { stroke: '#2c343f', width: 1 }, ticks: { stroke: '#2c343f' } };

function chartWidth(el: HTMLElement): number {
  return Math.max(200, el.clientWidth);
}

function makeLiveChart(): uPlot {
  const el = $('#live-chart');
  return new uPlot({
    width: chartWidth(el), height: 240,
    scales: { x: { time: true, range: () => [Date.now() / 1000 - LIVE_WINDOW_S, Date.now() / 1000] }, y: { range: (_u, lo, hi) => [Math.min(50, Math.floor(lo - 5)), Math.max(120, Math.ceil(hi + 5))] } },
    axes: [axisStyle, { ...axisStyle, label: 'bpm' }],
    series: [{}, { label: 'Heart rate', stroke: '#f4525a', width: 2, points: { show: false } }],
    legend: { live: false },
  }, [liveX, liveY], el);
}

/** Bucket sizes the history API is asked for: about 300–1,500 points whatever the zoom. */
const BUCKETS: [number, string][] = [[60, '60s'], [300, '5m'], [900, '15m'], [3600, '1h'], [6 * 3600, '6h'], [86400, '1d']];
function bucketFor(spanS: number): [number, string] {
  for (const b of BUCKETS) if (spanS / b[0] <= 1500) return b;
  return BUCKETS[BUCKETS.length - 1]!;
}

function makeHistChart(): uPlot {
  const el = $('#hist-chart');
  return new uPlot({
    width: chartWidth(el), height: 280,
    scales: { x: { time: true } },
    axes: [axisStyle, { ...axisStyle, label: 'bpm' }],
    series: [
      {},
      { label: 'min', stroke: 'rgba(244,82,90,.35)', width: 1, points: { show: false } },
      // A few buckets (a new athlete, a deep zoom) show as dots; many as a line.
      { label: 'avg', stroke: '#f4525a', width: 2, points: { show: (_u, _s, i0, i1) => i1 - i0 < 60, size: 6, fill: '#f4525a' } },
      { label: 'max', stroke: 'rgba(244,82,90,.35)', width: 1, points: { show: false } },
    ],
    bands: [{ series: [3, 1], fill: 'rgba(244,82,90,.15)' }],
    cursor: { drag: { x: true, y: false } },
    hooks: {
      setSelect: [(u) => {
        if (u.select.width < 4) return;
        const from = u.posToVal(u.select.left, 'x');
        const to = u.posToVal(u.select.left + u.select.width, 'x');
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        void loadHistory(from * 1000, to * 1000);
      }],
    },
  }, [[], [], [], []], el);
}

let rangeDays = 1;
async function loadHistory(fromMs: number, toMs: number): Promise<void> {
  if (!athleteId || !token) return;
  const [bucketS, bucket] = bucketFor((toMs - fromMs) / 1000);
  const q = new URLSearchParams({ metric: 'heart_rate', from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), bucket });
  $('#hist-meta').textContent = 'Loading…';
  try {
    const { buckets } = await api<BucketsResponse>(token, 'GET', `/api/users/${encodeURIComponent(athleteId)}/observations?${q}`);
    const xs: number[] = [];
    const mins: (number | null)[] = [];
    const avgs: (number | null)[] = [];
    const maxs: (number | null)[] = [];
    let prev = -Infinity;
    for (const b of buckets) {
      const t = (typeof b.t === 'number' ? b.t : Date.parse(b.t)) / 1000;
      // A gap longer than two buckets is drawn as a gap, not a line across it.
      if (t - prev > 2 * bucketS && xs.length > 0) {
        xs.push(prev + bucketS);
        mins.push(null); avgs.push(null); maxs.push(null);
      }
      xs.push(t);
      mins.push(b.min); avgs.push(Math.round(b.avg * 10) / 10); maxs.push(b.max);
      prev = t;
    }
    histChart ??= makeHistChart();
    histChart.setData([xs, mins, avgs, maxs] as uPlot.AlignedData, false);
    histChart.setScale('x', { min: fromMs / 1000, max: toMs / 1000 });
    const n = buckets.reduce((s, b) => s + b.n, 0);
    $('#hist-meta').textContent = `${new Date(fromMs).toLocaleString()} – ${new Date(toMs).toLocaleString()} · ${bucket} buckets · ${n.toLocaleString()} readings. Drag to zoom in; double-click for the ${rangeLabel()}.`;
  } catch (err) {
    $('#hist-meta').textContent = err instanceof ApiError && err.status === 404 ? 'History is not available on this hub yet.' : `History failed: ${(err as Error).message}`;
  }
}

function rangeLabel(): string {
  return { 1: 'day', 7: 'week', 30: 'month', 365: 'year' }[rangeDays] ?? 'range';
}

function setRange(days: number): void {
  rangeDays = days;
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-range]')) b.setAttribute('aria-pressed', String(Number(b.dataset.range) === days));
  const to = Date.now();
  void loadHistory(to - days * 86400_000, to);
}

function showNow(bpm: number | null, zone: number | undefined, state: string): void {
  const now = $('#now');
  now.dataset.state = state;
  if (bpm !== null) $('#bpm').textContent = String(Math.round(bpm));
  if (zone !== undefined) now.style.setProperty('--zone', zoneColor(zone));
  const pct = bpm !== null && maxHr ? Math.round((bpm / maxHr) * 100) : null;
  $('#zone').textContent = state === 'lost' ? 'no signal' : zone !== undefined ? `Zone ${zone} · ${ZONE_NAMES[zone]}${pct !== null ? ` · ${pct}% max` : ''}` : state;
}

/**
 * The live chart opens with the last ten minutes from the history API (5 s buckets), so it
 * is not empty after minutes of readings; live points that arrived meanwhile are kept.
 */
async function backfillLive(id: string, t: string): Promise<void> {
  const to = Date.now();
  const q = new URLSearchParams({ metric: 'heart_rate', from: new Date(to - LIVE_WINDOW_S * 1000).toISOString(), to: new Date(to).toISOString(), bucket: '5s' });
  try {
    const { buckets } = await api<BucketsResponse>(t, 'GET', `/api/users/${encodeURIComponent(id)}/observations?${q}`);
    const firstLive = liveX[0] ?? Infinity;
    const xs: number[] = [];
    const ys: number[] = [];
    for (const b of buckets) {
      const s = (typeof b.t === 'number' ? b.t : Date.parse(b.t)) / 1000;
      if (s >= firstLive) break;
      xs.push(s);
      ys.push(Math.round(b.avg));
    }
    liveX.unshift(...xs);
    liveY.unshift(...ys);
    drawLive();
  } catch {
    // History may be unavailable (an old hub): the chart fills from live readings.
  }
}

function drawLive(): void {
  liveChart?.setData([liveX, liveY]);
  $('#live-chart').dataset.points = String(liveX.length);
}

function pushLive(t: number, bpm: number): void {
  const s = t / 1000;
  if (liveX.length && s <= liveX[liveX.length - 1]!) return;
  liveX.push(s);
  liveY.push(bpm);
  while (liveX.length && liveX[0]! < s - LIVE_WINDOW_S) {
    liveX.shift();
    liveY.shift();
  }
  drawLive();
}

let lastState = 'lost';
let backfilled = false;
const hrvChart = mountHrvChart($('#live-chart').closest('section')!);
const alertsCard = mountAlertsCard({ token: () => token, athlete: () => athleteId });
const insights = mountInsights({ token: () => token, athlete: () => athleteId });

function onMessage(m: ServerMessage): void {
  hrvChart.onMessage(m);
  goalsCard.onMessage(m);
  alertsCard.onMessage(m);
  insights.onMessage(m);
  if (m.type === 'ready') {
    athleteId ??= m.athletes[0] ?? null;
    if (!athleteId) {
      $('#status').textContent = 'this token may not see any athlete';
      return;
    }
    live!.subscribe([athleteId]);
    if (!backfilled && token) {
      backfilled = true;
      void backfillLive(athleteId, token);
    }
    $('#overlay-card').hidden = m.kind !== 'athlete' && m.kind !== 'admin';
    $('#phone-card').hidden = m.kind !== 'athlete' && m.kind !== 'admin';
    if (!histChart) setRange(1);
    if (token) void hrvChart.load(token, athleteId);
    void insights.load();
  } else if (m.type === 'snapshot' && m.athlete === athleteId) {
    $('#who').textContent = m.name;
    document.title = `PulseHub — ${m.name}`;
    if (m.profile) {
      maxHr = m.profile.maxHr;
      $('#maxhr').textContent = `max HR ${m.profile.maxHr} bpm (${m.profile.maxHrSource === 'measured' ? 'measured' : m.profile.maxHrSource === 'age' ? 'from age' : 'assumed'})`;
    }
    lastState = m.state ?? 'lost';
    const hr = m.events.find((e) => e.metric === 'heart_rate');
    showNow(hr?.values.bpm?.value ?? null, m.hr?.zone, lastState);
  } else if (m.type === 'event' && m.event.userId === athleteId && m.event.metric === 'heart_rate') {
    const bpm = m.event.values.bpm?.value;
    if (bpm === undefined) return;
    lastState = 'live';
    showNow(bpm, m.hr?.zone, 'live');
    pushLive(Date.now(), bpm);
  } else if (m.type === 'state' && m.athlete === athleteId) {
    lastState = m.state;
    showNow(null, undefined, m.state);
  } else if (m.type === 'revoked') {
    $('#status').textContent = 'access to this athlete ended';
  }
}

/** The overlay page's own address with the overlay token, without options (from POST /api/overlay-tokens). */
let overlayBase: URL | null = null;

async function makeOverlay(): Promise<void> {
  if (!athleteId || !token) return;
  try {
    const r = await api<OverlayTokenResponse>(token, 'POST', '/api/overlay-tokens', { athleteId });
    overlayBase = new URL(r.url, location.href);
    $('#overlay-out').hidden = false;
    updateDesign(true);
  } catch (err) {
    $('#status').textContent = `overlay: ${(err as Error).message}`;
  }
}

// The overlay designer: the form holds the options; the URL and the live preview (an iframe of
// the real overlay page) are both built from overlayQuery(), so the URL shows what the preview does.
const designer = $<HTMLFormElement>('#designer');
const field = <T extends HTMLInputElement | HTMLSelectElement = HTMLInputElement>(name: string) => designer.elements.namedItem(name) as T;
for (const st of OVERLAY_STYLES) field<HTMLSelectElement>('style').add(new Option(OVERLAY_STYLE_NAMES[st], st));

function designOptions(): OverlayOptions {
  const checked = (n: string) => field(n).checked;
  return {
    style: field<HTMLSelectElement>('style').value as OverlayStyle,
    size: Number(field('size').value),
    color: field('color').value,
    zoneColor: checked('zoneColor'),
    spark: checked('spark'),
    label: field('label').value.trim(),
    unit: checked('unit'),
    shadow: checked('shadow'),
    font: '',
    align: field<HTMLSelectElement>('align').value as OverlayOptions['align'],
    hideLost: checked('hideLost'),
  };
}

function overlayUrl(): string {
  if (!overlayBase) return '';
  const u = new URL(overlayBase);
  for (const [k, v] of overlayQuery(designOptions())) u.searchParams.set(k, v);
  return u.toString();
}

let previewTimer: ReturnType<typeof setTimeout> | undefined;
function updateDesign(now = false): void {
  const url = overlayUrl();
  if (!url) return;
  $<HTMLInputElement>('#overlay-url').value = url;
  $('#copy-overlay').textContent = 'Copy';
  (designer.elements.namedItem('sizeOut') as HTMLOutputElement).value = `${field('size').value} px`;
  const frame = $<HTMLIFrameElement>('#overlay-preview');
  frame.style.height = `${Math.round(Number(field('size').value) * (designOptions().label ? 2.1 : 1.7) + (designOptions().spark ? Number(field('size').value) * 0.7 : 0) + 30)}px`;
  clearTimeout(previewTimer);
  // Typing in the label reloads the preview once, not per key.
  previewTimer = setTimeout(() => {
    if (frame.src !== url) frame.src = url;
    frame.dataset.url = url;
  }, now ? 0 : 250);
}

designer.addEventListener('input', (e) => {
  if ((e.target as HTMLElement).getAttribute('name') === 'style') {
    // Each style brings its own defaults (the card a sparkline, the minimal number no unit).
    const d = styleDefaults(field<HTMLSelectElement>('style').value as OverlayStyle);
    field('spark').checked = d.spark;
    field('unit').checked = d.unit;
  }
  updateDesign();
});
designer.addEventListener('submit', (e) => e.preventDefault());
for (const b of document.querySelectorAll<HTMLButtonElement>('.preview-bar [data-bg]')) {
  b.addEventListener('click', () => {
    $('#preview-box').dataset.bg = b.dataset.bg!;
    for (const o of document.querySelectorAll<HTMLButtonElement>('.preview-bar [data-bg]')) o.setAttribute('aria-pressed', String(o === b));
  });
}

let live: LiveConnection | null = null;
function connect(t: string): void {
  token = t;
  liveChart ??= makeLiveChart();
  live = new LiveConnection(t, {
    onMessage,
    onStatus: (s) => ($('#status').textContent = s),
    onAuthFailed: () => {
      forgetToken();
      void askToken($<HTMLFormElement>('#login'), $<HTMLInputElement>('#token')).then(connect);
    },
  });
  live.start();
}

for (const b of document.querySelectorAll<HTMLButtonElement>('[data-range]')) b.addEventListener('click', () => setRange(Number(b.dataset.range)));
$('#hist-chart').addEventListener('dblclick', () => setRange(rangeDays));
$('#make-overlay').addEventListener('click', () => void makeOverlay());
setupPhoneCard($('#phone-card'), () => ({ token, athleteId }));
$('#copy-overlay').addEventListener('click', () => {
  const input = $<HTMLInputElement>('#overlay-url');
  input.select();
  void navigator.clipboard?.writeText(input.value).then(() => ($('#copy-overlay').textContent = 'Copied'));
});
// Charts follow their container (a phone, a rotated tablet, a resized window).
new ResizeObserver(() => {
  liveChart?.setSize({ width: chartWidth($('#live-chart')), height: 240 });
  histChart?.setSize({ width: chartWidth($('#hist-chart')), height: 280 });
}).observe($('main'));
setInterval(() => {
  // Scroll the live window even when no reading arrives, so silence is visible.
  if (liveChart && liveX.length) liveChart.setScale('x', { min: Date.now() / 1000 - LIVE_WINDOW_S, max: Date.now() / 1000 });
}, 1000);

if (token) connect(token);
else void askToken($<HTMLFormElement>('#login'), $<HTMLInputElement>('#token')).then(connect);
mountPendingWeighIns({ token: () => token, athlete: () => athleteId });
mountFtpCard({ token: () => token, athlete: () => athleteId });
mountLogCard({ token: () => token, athlete: () => athleteId });
const goalsCard = mountGoalsCard({ token: () => token, athlete: () => athleteId });
