// The end-of-class summary: podium and one row per athlete (time in zones, kcal, effort).
import type { ClassSessionInfo } from '@pulsehub/contracts';
import { api } from '../lib/api.js';
import { podium } from '../lib/leaderboard.js';
import { ZONE_COLORS, formatDuration } from '../lib/zones.js';
import { $, fromTemplate } from './dom.js';
import type { BoardState } from './state.js';

interface Summary { athleteId: string; name: string; avgBpm: number | null; maxBpm: number | null; secondsInZones: number[]; kcal: number; effortPoints: number; readings: number }

const PLACES = ['1st', '2nd', '3rd'];

export async function showSummary(board: BoardState, id: string): Promise<void> {
  const { session: s, summaries = [] } = await api<{ session: ClassSessionInfo; summaries?: Summary[] }>(board.token!, 'GET', `/api/sessions/${id}`);
  board.session = s;
  $('#summary').hidden = false;
  $('#tiles').hidden = true;
  $('#class-bar').hidden = true;
  $('#leaderboard').hidden = true;
  document.body.classList.add('summary-shown');
  const duration = s.endedAt ? (Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000 : 0;
  $('#summary-title').textContent = `${s.name} — summary`;
  $('#summary-meta').textContent = `${new Date(s.startedAt).toLocaleString()} · ${formatDuration(duration)} · ${summaries.length} athletes`;
  const top = podium(summaries.map((r) => ({ id: r.athleteId, name: r.name, effortPoints: r.effortPoints, kcal: r.kcal })));
  $('#podium').replaceChildren(...top.map((e, i) => {
    const li = fromTemplate('podium-template');
    li.dataset.leader = e.id;
    li.dataset.place = String(i + 1);
    li.querySelector('.place')!.textContent = PLACES[i]!;
    li.querySelector('.pname')!.textContent = e.name;
    li.querySelector('.pep')!.textContent = `${e.effortPoints} pts · ${e.kcal} kcal`;
    return li;
  }));
  $('#summary-rows').replaceChildren(...summaries.map(summaryRow));
}

function summaryRow(r: Summary): HTMLElement {
  const tr = fromTemplate('summary-row-template');
  tr.dataset.athlete = r.athleteId;
  tr.querySelector('th')!.textContent = r.name;
  tr.querySelector('.avg')!.textContent = String(r.avgBpm ?? '--');
  tr.querySelector('.max')!.textContent = String(r.maxBpm ?? '--');
  tr.querySelector('.kcal')!.textContent = String(r.kcal);
  tr.querySelector('.ep')!.textContent = String(r.effortPoints);
  const total = r.secondsInZones.reduce((a, b) => a + b, 0) || 1;
  tr.querySelector('.zonebar')!.append(...r.secondsInZones.flatMap((secs, z) => (secs > 0 ? [zoneBarPart(secs / total, z, secs)] : [])));
  const times = tr.querySelector('.zonetimes')!;
  r.secondsInZones.forEach((secs, z) => {
    if (z > 0) times.append(' ');
    const span = document.createElement('span');
    span.className = 'zt';
    span.style.setProperty('--zone', ZONE_COLORS[z] ?? ZONE_COLORS[0]);
    span.textContent = `Z${z} ${formatDuration(secs)}`;
    times.append(span);
  });
  return tr;
}

function zoneBarPart(share: number, zone: number, secs: number): HTMLElement {
  const span = document.createElement('span');
  span.style.flex = String(share);
  span.style.background = ZONE_COLORS[zone] ?? ZONE_COLORS[0];
  span.title = `Z${zone} ${formatDuration(secs)}`;
  return span;
}

/** Leaves the summary for the live board (a reload: the free board starts fresh). */
export function backToBoard(): void {
  const url = new URL(location.href);
  url.searchParams.delete('session');
  history.replaceState(null, '', url);
  location.reload();
}
