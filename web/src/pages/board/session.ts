// The class session: start it (dialog), show its bar and clock, apply the hub's tallies, end it.
import type { ClassSessionInfo, SessionTally } from '@pulsehub/contracts';
import { api, ApiError } from '../lib/api.js';
import { DEFAULT_ZONE_FLOORS, formatDuration } from '../lib/zones.js';
import { $, fromTemplate, setStatus } from './dom.js';
import type { BoardState } from './state.js';
import { backToBoard, showSummary } from './summary.js';
import { markDirty, removeTile } from './tiles.js';
import { setTimer } from './timer.js';
import { layoutTiles } from './tv.js';

/** The hub's default zone floors, shown in the dialog when `ready` has not said otherwise. */
const DEFAULT_FLOORS: readonly number[] = DEFAULT_ZONE_FLOORS;

export function showSession(board: BoardState, s: ClassSessionInfo): void {
  board.session = s;
  document.body.classList.add('in-class');
  $('#class-name').textContent = s.name;
  $('#class-bar').hidden = false;
  $('#start-class').hidden = true;
  $('#leaderboard').hidden = false;
  $('#timer-controls').hidden = !(board.ready?.kind === 'admin' || board.ready?.subject === s.coachId) || s.endedAt !== null;
  setTimer(board, s.timer ?? null);
  layoutTiles(board);
  if (s.endedAt) void showSummary(board, s.id);
}

/** The hub's running totals of one athlete: kcal, effort points, and % and zone by the class floors. */
export function applyTally(board: BoardState, tally: SessionTally): void {
  if (!board.session || tally.session !== board.session.id) return;
  const t = board.tiles.get(tally.athlete);
  if (!t) return;
  t.tally = tally;
  board.leadersDirty = true;
  if (tally.zone !== null) t.zone = tally.zone;
  if (tally.pctMax !== null) t.pct = tally.pctMax;
  markDirty(board, t);
}

async function visibleAthletes(board: BoardState): Promise<{ id: string; name: string }[]> {
  return (await api<{ athletes: { id: string; name: string }[] }>(board.token!, 'GET', '/api/athletes')).athletes;
}

/** Free board: every athlete the viewer may see; new consents show up within 10 s. */
export async function refreshAthletes(board: BoardState): Promise<void> {
  if (board.session || !board.live) return;
  try {
    const list = await visibleAthletes(board);
    const fresh = list.filter((a) => !board.tiles.has(a.id)).map((a) => a.id);
    if (list.length === 0 && board.tiles.size === 0) $('#empty').hidden = false;
    if (fresh.length > 0) board.live.subscribe(fresh);
  } catch (err) {
    setStatus(String((err as Error).message));
  }
}

async function startClass(board: BoardState, e: SubmitEvent): Promise<void> {
  e.preventDefault();
  const data = new FormData(e.currentTarget as HTMLFormElement);
  const athletes = data.getAll('athlete').map(String);
  const floors = [1, 2, 3, 4, 5].map((z) => Number(data.get(`z${z}`)) / 100);
  if (athletes.length === 0) {
    $('#class-error').textContent = 'Pick at least one athlete.';
    return;
  }
  try {
    const { session: s } = await api<{ session: ClassSessionInfo }>(board.token!, 'POST', '/api/sessions', { name: String(data.get('name') ?? 'Class'), athletes, zoneFloors: floors });
    $<HTMLDialogElement>('#class-dialog').close();
    enterSession(board, s.id);
  } catch (err) {
    $('#class-error').textContent = err instanceof ApiError ? err.message : String(err);
  }
}

/** Swaps the free board's tiles for the class's athletes (the hub then sends `session`). */
function enterSession(board: BoardState, id: string): void {
  const url = new URL(location.href);
  url.searchParams.delete('token');
  url.searchParams.set('session', id);
  history.replaceState(null, '', url);
  board.live?.unsubscribe([...board.tiles.keys()]);
  for (const athlete of [...board.tiles.keys()]) removeTile(board, athlete);
  board.live?.subscribe([], id);
}

async function openClassDialog(board: BoardState): Promise<void> {
  const list = $('#class-athletes');
  list.textContent = '';
  $('#class-error').textContent = '';
  const athletes = await visibleAthletes(board);
  list.append(...athletes.map((a) => {
    const label = fromTemplate('class-athlete-template');
    label.querySelector('input')!.value = a.id;
    label.querySelector('.athlete-name')!.textContent = a.name;
    return label;
  }));
  if (athletes.length === 0) list.textContent = 'No athlete shares with you yet.';
  (board.ready?.zoneFloors ?? DEFAULT_FLOORS).forEach((f, i) => {
    $<HTMLInputElement>(`#z${i + 1}`).value = String(Math.round(f * 100));
  });
  $<HTMLInputElement>('#class-title').value = `Class ${new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
  $<HTMLDialogElement>('#class-dialog').showModal();
}

async function endClass(board: BoardState): Promise<void> {
  if (!board.session) return;
  const btn = $<HTMLButtonElement>('#end-class');
  btn.disabled = true;
  try {
    await api(board.token!, 'POST', `/api/sessions/${board.session.id}/end`);
    await showSummary(board, board.session.id);
  } catch (err) {
    setStatus(String((err as Error).message));
  } finally {
    btn.disabled = false;
  }
}

function tickClock(board: BoardState): void {
  const s = board.session;
  if (!s || s.endedAt) return;
  $('#class-clock').textContent = formatDuration((Date.now() - Date.parse(s.startedAt)) / 1000);
}

export function wireClass(board: BoardState): void {
  $('#start-class').addEventListener('click', () => void openClassDialog(board));
  $('#end-class').addEventListener('click', () => void (board.session && confirm(`End "${board.session.name}" for everyone and store its summary?`) && endClass(board)));
  $('#class-cancel').addEventListener('click', () => $<HTMLDialogElement>('#class-dialog').close());
  $<HTMLFormElement>('#class-form').addEventListener('submit', (e) => void startClass(board, e));
  $('#summary-back').addEventListener('click', backToBoard);
  setInterval(() => tickClock(board), 1000);
}
