// Athlete tiles: created from `<template id="tile-template">`, updated from /live frames and
// rendered at most once per animation frame.
import type { AlertChange, AlertJson, CanonicalEvent, PowerDerived } from '@pulsehub/contracts';
import { powerIsFresh, powerZoneColor, powerZoneInk, powerZoneLabel } from '../lib/power.js';
import { Sparkline } from '../lib/sparkline.js';
import { ZONE_NAMES, zoneColor } from '../lib/zones.js';
import { $, fromTemplate, text } from './dom.js';
import { renderLeaderboard } from './leaderboard.js';
import type { BoardState, Tile } from './state.js';
import { layoutTiles } from './tv.js';

export function tileFor(board: BoardState, id: string): Tile {
  const known = board.tiles.get(id);
  if (known) return known;
  const el = fromTemplate('tile-template');
  el.dataset.athlete = id;
  // Appended here; sortTiles keeps name order so athletes are easy to find on a big screen.
  $('#tiles').append(el);
  const tile: Tile = { id, name: id, el, bpm: null, hrAt: 0, zone: null, pct: null, tally: null, stepsToday: 0, stepIds: new Set(), state: 'lost', lastAt: 0, battery: null, spark: new Sparkline(el.querySelector('canvas')!), rmssd: null, showHrv: false, power: null, alerts: new Map() };
  el.querySelector('.hrv-toggle')!.addEventListener('click', () => {
    tile.showHrv = !tile.showHrv;
    markDirty(board, tile);
  });
  board.tiles.set(id, tile);
  layoutTiles(board);
  $('#empty').hidden = true;
  markDirty(board, tile);
  return tile;
}

export function removeTile(board: BoardState, id: string): void {
  const t = board.tiles.get(id);
  if (!t) return;
  t.el.remove();
  board.tiles.delete(id);
  board.dirty.delete(t);
  board.leadersDirty = true;
  layoutTiles(board);
  if (board.tiles.size === 0) $('#empty').hidden = false;
}

export function markDirty(board: BoardState, t: Tile): void {
  board.dirty.add(t);
  scheduleFlush(board);
}

/** Asks for a render on the next animation frame (tiles marked dirty and the leaderboard). */
export function scheduleFlush(board: BoardState): void {
  if (!board.frame) board.frame = requestAnimationFrame(() => flush(board));
}

/** Renders only what changed, once per animation frame: 50 athletes at 1 Hz stay cheap. */
function flush(board: BoardState): void {
  board.frame = 0;
  for (const t of board.dirty) render(t);
  board.dirty.clear();
  if (board.leadersDirty) renderLeaderboard(board);
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
  renderBattery(t);
  renderAlerts(t);
  el.dataset.zone = t.zone === null ? '' : String(t.zone);
  el.style.setProperty('--zone', zoneColor(t.zone));
  el.dataset.state = t.state;
  const signal = el.querySelector<HTMLElement>('.signal')!;
  signal.hidden = t.state === 'live';
  signal.textContent = t.state === 'lost' ? 'no signal' : 'signal weak';
  el.setAttribute('aria-label', `${t.name}: ${t.bpm ?? 'no'} bpm${t.zone !== null ? `, zone ${t.zone}` : ''}${t.state !== 'live' ? `, ${t.state === 'lost' ? 'no signal' : 'signal weak'}` : ''}`);
  renderHrv(t);
  renderPower(t);
  renderAge(t);
  drawSpark(t);
}

function renderBattery(t: Tile): void {
  const bat = t.el.querySelector<HTMLElement>('.battery')!;
  bat.hidden = t.battery === null;
  if (t.battery === null) return;
  text(t.el, '.battery', `${t.battery}%`);
  bat.classList.toggle('low', t.battery <= 15);
  bat.setAttribute('aria-label', `battery ${t.battery} percent`);
}

const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;
/** What fits on a tile; the full title is the badge's tooltip and accessible name. */
const SHORT: Record<string, string> = {
  'bp-crisis': 'BP crisis', 'bp-category': 'BP high', 'hr-high': 'HR > max', 'spo2-low': 'SpO2 low', 'glucose-range': 'glucose',
  'battery-low': 'battery', 'device-offline': 'offline', 'steps-low': 'steps', 'resting-hr-trend': 'resting HR', 'weight-change': 'weight',
};

/** Keeps a tile's open alerts from `alert` frames (and snapshots): resolved ones leave. */
export function applyAlert(board: BoardState, t: Tile, change: AlertChange, a: AlertJson): void {
  if (a.severity === 'info' && change === 'insight') return; // insights are for the athlete page
  if (a.resolvedAt !== null) t.alerts.delete(a.id);
  else t.alerts.set(a.id, a);
  markDirty(board, t);
}

function renderAlerts(t: Tile): void {
  const badge = t.el.querySelector<HTMLElement>('.alert-badge')!;
  const open = [...t.alerts.values()].filter((a) => a.severity !== 'info');
  badge.hidden = open.length === 0;
  t.el.dataset.alert = open.length === 0 ? '' : 'open';
  if (open.length === 0) return;
  const top = open.reduce((a, b) => (SEVERITY_RANK[b.severity] > SEVERITY_RANK[a.severity] || (b.severity === a.severity && b.updatedAt > a.updatedAt) ? b : a));
  badge.dataset.severity = top.severity;
  const label = SHORT[top.ruleId] ?? top.title;
  badge.textContent = open.length > 1 ? `${label} +${open.length - 1}` : label;
  badge.title = open.map((a) => a.title).join('\n');
  badge.setAttribute('aria-label', `alert: ${open.map((a) => a.title).join('; ')}`);
}

function renderHrv(t: Tile): void {
  const el = t.el;
  el.querySelector<HTMLElement>('.hrv')!.hidden = !t.showHrv;
  text(el, '.hrv-value', t.rmssd === null ? '--' : String(Math.round(t.rmssd)));
  el.querySelector('.hrv-toggle')!.setAttribute('aria-pressed', String(t.showHrv));
  el.classList.toggle('show-hrv', t.showHrv);
}

/** The power line: shown while a cycling power reading is recent (lib/power.ts), hidden otherwise. */
function renderPower(t: Tile): void {
  const el = t.el;
  const line = el.querySelector<HTMLElement>('.power')!;
  const p = t.power;
  const shown = powerIsFresh(p, Date.now()) && t.state !== 'lost';
  line.hidden = !shown;
  el.classList.toggle('has-power', shown);
  if (!shown || !p) return;
  text(el, '.watts', String(Math.round(p.watts)));
  text(el, '.pct-ftp', p.pctFtp === null ? '--' : String(p.pctFtp));
  el.querySelector<HTMLElement>('.pct-ftp-wrap')!.hidden = p.pctFtp === null;
  const badge = el.querySelector<HTMLElement>('.pzone')!;
  badge.hidden = p.zone === null;
  line.dataset.pzone = p.zone === null ? '' : String(p.zone);
  if (p.zone !== null) {
    text(el, '.pzone', powerZoneLabel(p.zone));
    badge.style.setProperty('--pzone', powerZoneColor(p.zone));
    badge.style.setProperty('--pzone-ink', powerZoneInk(p.zone));
  }
  line.setAttribute('aria-label', `power ${Math.round(p.watts)} watts${p.pctFtp !== null ? `, ${p.pctFtp} percent of FTP` : ''}${p.zone !== null ? `, power zone ${p.zone}` : ''}`);
}

function renderAge(t: Tile): void {
  const ago = t.lastAt ? Math.max(0, Math.round((Date.now() - t.lastAt) / 1000)) : null;
  text(t.el, '.ago', ago === null ? 'no data yet' : ago < 2 ? 'now' : ago < 60 ? `${ago}s ago` : ago < 3600 ? `${Math.round(ago / 60)} min ago` : 'over an hour ago');
}

function drawSpark(t: Tile): void {
  t.spark.draw(t.state === 'live' ? '#0b0d10' : '#5b6470');
}

/** Once a second: ages, power freshness and sparklines move on without new frames. */
export function tickTiles(board: BoardState): void {
  for (const t of board.tiles.values()) {
    renderAge(t);
    renderPower(t);
    if (t.spark.length > 1) drawSpark(t);
  }
}

/** One event of a snapshot (`isLive` false) or a live frame, with the hub's HR and power context. */
export function applyEvent(board: BoardState, t: Tile, e: CanonicalEvent, hr: { pctMax: number; zone: number } | undefined, isLive: boolean, power?: PowerDerived): void {
  const at = Date.parse('at' in e.time ? e.time.at : e.time.end);
  if (e.metric === 'cycling') applyPower(t, e, at, power);
  if (e.metric === 'heart_rate') {
    const bpm = e.values.bpm?.value;
    if (bpm !== undefined && at >= t.hrAt) {
      t.bpm = Math.round(bpm);
      t.hrAt = at;
      // In a class the hub's tally (class zone floors) sets % and zone instead.
      if (hr && !board.session) {
        t.pct = hr.pctMax;
        t.zone = hr.zone;
      }
    }
    if (bpm !== undefined) t.spark.push(Math.min(at, Date.now()), bpm);
  } else if ((e.metric as string) === 'hrv_rmssd') {
    const v = (e.values as Record<string, { value: number } | undefined>).rmssd?.value;
    if (v !== undefined) t.rmssd = v;
  } else if (e.metric === 'steps' && isLive && !t.stepIds.has(e.id)) {
    t.stepIds.add(e.id);
    t.stepsToday += e.values.count?.value ?? 0;
  }
  if (isLive) {
    t.lastAt = Date.now();
    t.state = 'live';
  }
  markDirty(board, t);
}

/** A cycling event with power: newest wins; the hub's `power` context adds % FTP and the level. */
function applyPower(t: Tile, e: CanonicalEvent, at: number, power: PowerDerived | undefined): void {
  const watts = e.values.power?.value;
  const when = Math.min(at, Date.now());
  if (watts === undefined || (t.power && when < t.power.at)) return;
  t.power = { watts, pctFtp: power?.pctFtp ?? null, zone: power?.zone ?? null, at: when };
}

export function sortTiles(board: BoardState): void {
  const grid = $('#tiles');
  const sorted = [...board.tiles.values()].sort((a, b) => a.name.localeCompare(b.name));
  sorted.forEach((t, i) => {
    if (grid.children[i] !== t.el) grid.insertBefore(t.el, grid.children[i] ?? null);
  });
}
