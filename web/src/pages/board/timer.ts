// The class's interval timer: shown on every board, started and stopped by the coach.
import type { IntervalTimer } from '@pulsehub/contracts';
import { api } from '../lib/api.js';
import { beep, timerPhase } from '../lib/interval.js';
import { formatDuration } from '../lib/zones.js';
import { $, setStatus } from './dom.js';
import type { BoardState } from './state.js';

export function setTimer(board: BoardState, t: IntervalTimer | null): void {
  board.timer.current = t;
  board.timer.lastPhase = '';
  tickTimer(board);
}

export function tickTimer(board: BoardState): void {
  const timer = board.timer.current;
  const box = $('#interval');
  const running = timer !== null && timer.stoppedAt === null;
  $('#timer-stop').hidden = !running;
  $('#timer-start').hidden = running;
  $('#timer-form-fields').hidden = running; // while it runs, only Stop (keeps the bar on one line)
  if (!timer) {
    box.hidden = true;
    return;
  }
  const p = timerPhase(timer, Date.now());
  box.hidden = p.phase === 'stopped';
  box.dataset.phase = p.phase;
  $('#interval-round').textContent = p.phase === 'done' ? 'done' : `round ${p.round}/${p.rounds}`;
  $('#interval-phase').textContent = p.phase === 'done' ? '' : p.phase;
  $('#interval-left').textContent = formatDuration(p.secondsLeft);
  const key = `${p.round}-${p.phase}`;
  if (board.timer.lastPhase && key !== board.timer.lastPhase && $<HTMLInputElement>('#timer-sound').checked) beep(board.timer.audio, p.phase === 'work' ? 880 : 440);
  board.timer.lastPhase = key;
}

async function startTimer(board: BoardState, e: SubmitEvent): Promise<void> {
  e.preventDefault();
  if (!board.session) return;
  const data = new FormData(e.currentTarget as HTMLFormElement);
  // An AudioContext may only start after a user gesture: this click is one.
  if ($<HTMLInputElement>('#timer-sound').checked && !board.timer.audio) board.timer.audio = new AudioContext();
  try {
    await api(board.token!, 'POST', `/api/sessions/${board.session.id}/timer`, { workSec: Number(data.get('work')), restSec: Number(data.get('rest')), rounds: Number(data.get('rounds')) });
  } catch (err) {
    setStatus(String((err as Error).message));
  }
}

async function stopTimer(board: BoardState): Promise<void> {
  if (!board.session) return;
  try {
    await api(board.token!, 'DELETE', `/api/sessions/${board.session.id}/timer`);
  } catch (err) {
    setStatus(String((err as Error).message));
  }
}

export function wireTimer(board: BoardState): void {
  $<HTMLFormElement>('#timer-form').addEventListener('submit', (e) => void startTimer(board, e));
  $('#timer-stop').addEventListener('click', () => void stopTimer(board));
  setInterval(() => {
    if (board.timer.current) tickTimer(board);
  }, 250);
}
