// The live class board: one tile per athlete, fed by /live (see the README's protocol section).
import type { CanonicalEvent, ClassSessionInfo, ServerMessage, SessionTally, SignalState } from '@pulsehub/contracts';
import { api, ApiError } from './lib/api.js';
import { LiveConnection, type ReadyMessage } from './lib/live.js';
import { Sparkline } from './lib/sparkline.js';
import { askToken, forgetToken, readToken } from './lib/token.js';
import { ZONE_COLORS, ZONE_NAMES, formatDuration, zoneColor } from './lib/zones.js';

const $ = <T extends HTMLElement = HTMLElement>(sel: string) => document.querySelector<T>(sel)!;

interface Tile {
  id: string;
  name: string;
  el: HTMLElement;
  bpm: number | null;
  hrAt: number;
  zone: number | null;
  pct: number | null;
  tally: SessionTally | null;
  stepsToday: number;
  stepIds: Set<string>;
  state: SignalState;
  lastAt: number;
  battery: number | null;
  spark: Sparkline;
}

interface Summary { athleteId: string; name: string; avgBpm: number | null; maxBpm: number | null; secondsInZones: number[]; kcal: number; effortPoints: number; readings: number }

const tiles = new Map<string, Tile>();
const dirty = new Set<Tile>();
let token = readToken();
let live: LiveConnection | null = null;
let ready: ReadyMessage | null = null;
let session: ClassSessionInfo | null = null;
let frame = 0;

function setStatus(text: string): void {
  $('#status').textContent = text;
}

function tileFor(id: string): Tile {
  let t = tiles.get(id);
  if (t) return t;
  const el = document.createElement('article');
  el.className = 'tile';
  el.dataset.athlete = id;
  el.dataset.state = 'lost';
  el.tabIndex = 0;
  el.innerHTML = `
    <div class="tile-head"><h2 class="name"></h2><span class="battery" hidden></span></div>
    <div class="tile-main">
      <p class="bpm"><span class="value">--</span><small>bpm</small></p>
      <p class="pct"><span class="pct-value">--</span><small>%</small><span class="zone-name"></span></p>
    </div>
    <canvas class="spark" aria-hidden="true"></canvas>
    <dl class="facts">
      <div class="fact-session"><dt>kcal</dt><dd class="kcal">0</dd></div>
      <div class="fact-session"><dt>effort</dt><dd class="ep">0</dd></div>
      <div><dt>steps</dt><dd class="steps">0</dd></div>
    </dl>
    <p class="signal" hidden></p>
    <p class="ago"></p>`;
  const grid = $('#tiles');
  // Keep tiles in name order so athletes are easy to find on a big screen.
  grid.append(el);
  t = { id, name: id, el, bpm: null, hrAt: 0, zone: null, pct: null, tally: null, stepsToday: 0, stepIds: new Set(), state: 'lost', lastAt: 0, battery: null, spark: new Sparkline(el.querySelector('canvas')!) };
  tiles.set(id, t);
  $('#empty').hidden = true;
  markDirty(t);
  return t;
}

function removeTile(id: string): void {
  const t = tiles.get(id);
  if (!t) return;
  t.el.remove();
  tiles.delete(id);
  dirty.delete(t);
  if (tiles.size === 0) $('#empty').hidden = false;
}

function markDirty(t: Tile): void {
  dirty.add(t);
  if (!frame) frame = requestAnimationFrame(flush);
}

/** Renders only what changed, once per animation frame: 50 athletes at 1 Hz stay cheap. */
function flush(): void {
  frame = 0;
  for (const t of dirty) render(t);
  dirty.clear();
}

function text(el: HTMLElement, sel: string, value: string): void {
  const n = el.querySelector<HTMLElement>(sel)!;
  if (n.textContent !== value) n.textContent = value;
}

function render(t: Tile): void {
  const el = t.el;
  text(el, '.name', t.name);
  text(el, '.value', t.bpm === null ? '--' : String(t.bpm));
  text(el, '.pct-value', t.pct === null ? '--' : String(Math.round(t.pct)));
  text(el, '.zone-name', t.zone === null ? 'of max' : `Z${t.zone} ${ZONE_NAMES[t.zone] ?? ''}`);
  text(el, '.steps', Math.round(t.stepsToday).toLocaleString());
  text(el, '.kcal', t.tally ? String(Math.round(t.tally.kcal)) : '0');
  text(el, '.ep', t.tally ? String(Math.round(t.tally.effortPoints)) : '0');
  const bat = el.querySelector<HTMLElement>('.battery')!;
  bat.hidden = t.battery === null;
  if (t.battery !== null) {
    text(el, '.battery', `${t.battery}%`);
    bat.classList.toggle('low', t.battery <= 15);
    bat.setAttribute('aria-label', `battery ${t.battery} percent`);
  }
  el.dataset.zone = t.zone === null ? '' : String(t.zone);
  el.style.setProperty('--zone', zoneColor(t.zone));
  el.dataset.state = t.state;
  const signal = el.querySelector<HTMLElement>('.signal')!;
  signal.hidden = t.state === 'live';
  signal.textContent = t.state === 'lost' ? 'no signal' : 'signal weak';
  el.setAttribute('aria-label', `${t.name}: ${t.bpm ?? 'no'} bpm${t.zone !== null ? `, zone ${t.zone}` : ''}${t.state !== 'live' ? `, ${t.state === 'lost' ? 'no signal' : 'signal weak'}` : ''}`);
  renderAge(t);
  t.spark.draw(t.state === 'live' ? '#0b0d10' : '#5b6470');
}

function renderAge(t: Tile): void {
  const ago = t.lastAt ? Math.max(0, Math.round((Date.now() - t.lastAt) / 1000)) : null;
  text(t.el, '.ago', ago === null ? 'no data yet' : ago < 2 ? 'now' : ago < 60 ? `${ago}s ago` : ago < 3600 ? `${Math.round(ago / 60)} min ago` : 'over an hour ago');
}

function apply(t: Tile, e: CanonicalEvent, hr: { pctMax: number; zone: number } | undefined, isLive: boolean): void {
  const at = Date.parse('at' in e.time ? e.time.at : e.time.end);
  if (e.metric === 'heart_rate') {
    const bpm = e.values.bpm?.value;
    if (bpm !== undefined && at >= t.hrAt) {
      t.bpm = Math.round(bpm);
      t.hrAt = at;
      if (hr && !session) {
        t.pct = hr.pctMax;
        t.zone = hr.zone;
      }
    }
    if (bpm !== undefined) t.spark.push(Math.min(at, Date.now()), bpm);
  } else if (e.metric === 'steps' && isLive && !t.stepIds.has(e.id)) {
    t.stepIds.add(e.id);
    t.stepsToday += e.values.count?.value ?? 0;
  }
  if (isLive) {
    t.lastAt = Date.now();
    t.state = 'live';
  }
  markDirty(t);
}

function onMessage(m: ServerMessage): void {
  switch (m.type) {
    case 'snapshot': {
      const t = tileFor(m.athlete);
      t.name = m.name;
      t.stepsToday = m.stepsToday;
      if (m.state) t.state = m.state;
      if (m.lastAt) t.lastAt = Date.parse(m.lastAt);
      if (m.battery !== undefined) t.battery = m.battery;
      for (const e of m.events) apply(t, e, e.metric === 'heart_rate' ? m.hr : undefined, false);
      if (m.tally) applyTally(m.tally);
      sortTiles();
      break;
    }
    case 'event': {
      const t = tiles.get(m.event.userId);
      if (t) apply(t, m.event, m.hr, true);
      if (t) (window as unknown as { __lastEventAt?: number }).__lastEventAt = performance.now();
      break;
    }
    case 'tally': applyTally(m.tally); break;
    case 'state': {
      const t = tiles.get(m.athlete);
      if (!t) break;
      t.state = m.state;
      if (m.lastAt) t.lastAt = Date.parse(m.lastAt);
      markDirty(t);
      break;
    }
    case 'battery': {
      const t = tiles.get(m.athlete);
      if (t) {
        t.battery = m.percent;
        markDirty(t);
      }
      break;
    }
    case 'revoked': removeTile(m.athlete); break;
    case 'session': showSession(m.session); break;
    case 'subscribed': if (m.denied.length > 0) setStatus(`no consent to show: ${m.denied.join(', ')}`); break;
    case 'error': setStatus(`error: ${m.code} — ${m.message}`); break;
    default: break;
  }
}

function applyTally(tally: SessionTally): void {
  if (!session || tally.session !== session.id) return;
  const t = tiles.get(tally.athlete);
  if (!t) return;
  t.tally = tally;
  if (tally.zone !== null) t.zone = tally.zone;
  if (tally.pctMax !== null) t.pct = tally.pctMax;
  markDirty(t);
}

function sortTiles(): void {
  const grid = $('#tiles');
  const sorted = [...tiles.values()].sort((a, b) => a.name.localeCompare(b.name));
  sorted.forEach((t, i) => {
    if (grid.children[i] !== t.el) grid.insertBefore(t.el, grid.children[i] ?? null);
  });
}

async function visibleAthletes(): Promise<{ id: string; name: string }[]> {
  return (await api<{ athletes: { id: string; name: string }[] }>(token!, 'GET', '/api/athletes')).athletes;
}

/** Free board: every athlete the viewer may see; new consents show up within 10 s. */
async function refreshAthletes(): Promise<void> {
  if (session || !live) return;
  try {
    const list = await visibleAthletes();
    const fresh = list.filter((a) => !tiles.has(a.id)).map((a) => a.id);
    if (list.length === 0 && tiles.size === 0) $('#empty').hidden = false;
    if (fresh.length > 0) live.subscribe(fresh);
  } catch (err) {
    setStatus(String((err as Error).message));
  }
}

function showSession(s: ClassSessionInfo): void {
  session = s;
  document.body.classList.add('in-class');
  $('#class-name').textContent = s.name;
  $('#class-bar').hidden = false;
  $('#start-class').hidden = true;
  if (s.endedAt) void showSummary(s.id);
}

function tickClock(): void {
  if (!session || session.endedAt) return;
  $('#class-clock').textContent = formatDuration((Date.now() - Date.parse(session.startedAt)) / 1000);
}

async function startClass(e: SubmitEvent): Promise<void> {
  e.preventDefault();
  const form = e.currentTarget as HTMLFormElement;
  const data = new FormData(form);
  const athletes = data.getAll('athlete').map(String);
  const floors = [1, 2, 3, 4, 5].map((z) => Number(data.get(`z${z}`)) / 100);
  if (athletes.length === 0) {
    $('#class-error').textContent = 'Pick at least one athlete.';
    return;
  }
  try {
    const { session: s } = await api<{ session: ClassSessionInfo }>(token!, 'POST', '/api/sessions', { name: String(data.get('name') ?? 'Class'), athletes, zoneFloors: floors });
    $<HTMLDialogElement>('#class-dialog').close();
    enterSession(s.id);
  } catch (err) {
    $('#class-error').textContent = err instanceof ApiError ? err.message : String(err);
  }
}

function enterSession(id: string): void {
  const url = new URL(location.href);
  url.searchParams.delete('token');
  url.searchParams.set('session', id);
  history.replaceState(null, '', url);
  live?.unsubscribe([...tiles.keys()]);
  for (const id2 of [...tiles.keys()]) removeTile(id2);
  live?.subscribe([], id);
}

async function openClassDialog(): Promise<void> {
  const dialog = $<HTMLDialogElement>('#class-dialog');
  const list = $('#class-athletes');
  list.textContent = '';
  $('#class-error').textContent = '';
  const athletes = await visibleAthletes();
  for (const a of athletes) {
    const label = document.createElement('label');
    label.className = 'check';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = 'athlete';
    box.value = a.id;
    box.checked = true;
    label.append(box, ` ${a.name}`);
    list.append(label);
  }
  if (athletes.length === 0) list.textContent = 'No athlete shares with you yet.';
  const floors = ready?.zoneFloors ?? [0.5, 0.6, 0.7, 0.8, 0.9];
  floors.forEach((f, i) => {
    $<HTMLInputElement>(`#z${i + 1}`).value = String(Math.round(f * 100));
  });
  $<HTMLInputElement>('#class-title').value = `Class ${new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
  dialog.showModal();
}

async function endClass(): Promise<void> {
  if (!session) return;
  const btn = $<HTMLButtonElement>('#end-class');
  btn.disabled = true;
  try {
    await api(token!, 'POST', `/api/sessions/${session.id}/end`);
    await showSummary(session.id);
  } catch (err) {
    setStatus(String((err as Error).message));
  } finally {
    btn.disabled = false;
  }
}

async function showSummary(id: string): Promise<void> {
  const { session: s, summaries } = await api<{ session: ClassSessionInfo; summaries?: Summary[] }>(token!, 'GET', `/api/sessions/${id}`);
  session = s;
  const sec = $('#summary');
  sec.hidden = false;
  $('#tiles').hidden = true;
  $('#class-bar').hidden = true;
  const duration = s.endedAt ? (Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000 : 0;
  $('#summary-title').textContent = `${s.name} — summary`;
  $('#summary-meta').textContent = `${new Date(s.startedAt).toLocaleString()} · ${formatDuration(duration)} · ${(summaries ?? []).length} athletes`;
  const body = $('#summary-rows');
  body.textContent = '';
  for (const r of summaries ?? []) {
    const tr = document.createElement('tr');
    tr.dataset.athlete = r.athleteId;
    const total = r.secondsInZones.reduce((a, b) => a + b, 0) || 1;
    const bar = r.secondsInZones.map((secs, z) => (secs > 0 ? `<span style="flex:${secs / total};background:${ZONE_COLORS[z]}" title="Z${z} ${formatDuration(secs)}"></span>` : '')).join('');
    const zones = r.secondsInZones.map((secs, z) => `<span class="zt" style="--zone:${ZONE_COLORS[z]}">Z${z} ${formatDuration(secs)}</span>`).join(' ');
    tr.innerHTML = `<th scope="row"></th><td class="num">${r.avgBpm ?? '--'}</td><td class="num">${r.maxBpm ?? '--'}</td><td><div class="zonebar" aria-hidden="true">${bar}</div><div class="zonetimes">${zones}</div></td><td class="num kcal">${r.kcal}</td><td class="num ep">${r.effortPoints}</td>`;
    tr.querySelector('th')!.textContent = r.name;
    body.append(tr);
  }
}

function backToBoard(): void {
  const url = new URL(location.href);
  url.searchParams.delete('session');
  history.replaceState(null, '', url);
  location.reload();
}

function connect(t: string): void {
  token = t;
  live = new LiveConnection(t, {
    onMessage,
    onStatus: (s) => setStatus(s),
    onReady: (m) => {
      ready = m;
      $('#start-class').hidden = !(m.kind === 'coach' || m.kind === 'admin') || session !== null;
      const sessionId = new URLSearchParams(location.search).get('session');
      if (sessionId && !tiles.size) live!.subscribe([], sessionId);
      else void refreshAthletes();
    },
    onAuthFailed: () => {
      forgetToken();
      live?.stop();
      void askToken($<HTMLFormElement>('#login'), $<HTMLInputElement>('#token')).then(connect);
    },
  });
  live.start();
}

$('#start-class').addEventListener('click', () => void openClassDialog());
$('#end-class').addEventListener('click', () => void endClass());
$('#class-cancel').addEventListener('click', () => $<HTMLDialogElement>('#class-dialog').close());
$<HTMLFormElement>('#class-form').addEventListener('submit', (e) => void startClass(e));
$('#summary-back').addEventListener('click', backToBoard);

setInterval(() => {
  for (const t of tiles.values()) {
    renderAge(t);
    if (t.spark.length > 1) t.spark.draw(t.state === 'live' ? '#0b0d10' : '#5b6470');
  }
  tickClock();
}, 1000);
setInterval(() => void refreshAthletes(), 10_000);

if (token) connect(token);
else {
  setStatus('sign in');
  void askToken($<HTMLFormElement>('#login'), $<HTMLInputElement>('#token')).then(connect);
}
