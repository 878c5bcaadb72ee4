// The live class board: one tile per athlete, fed by /live (see the README's protocol section).
// This file wires the modules under board/ to one BoardState and the /live connection:
// tiles.ts (athlete tiles), session.ts (class session), leaderboard.ts, timer.ts (interval
// timer), summary.ts (summary and podium), tv.ts (TV layout).
import type { ServerMessage } from '@pulsehub/contracts';
import { LiveConnection } from './lib/live.js';
import { askToken, forgetToken, readToken } from './lib/token.js';
import { $, setStatus } from './board/dom.js';
import { applyTally, refreshAthletes, showSession, wireClass } from './board/session.js';
import { createBoardState, type BoardState } from './board/state.js';
import { applyAlert, applyEvent, markDirty, removeTile, sortTiles, tickTiles, tileFor } from './board/tiles.js';
import { setTimer, wireTimer } from './board/timer.js';
import { wireTvLayout } from './board/tv.js';

function onMessage(board: BoardState, m: ServerMessage): void {
  switch (m.type) {
    case 'snapshot': {
      const t = tileFor(board, m.athlete);
      t.name = m.name;
      t.stepsToday = m.stepsToday;
      if (m.state) t.state = m.state;
      if (m.lastAt) t.lastAt = Date.parse(m.lastAt);
      if (m.battery !== undefined) t.battery = m.battery;
      for (const e of m.events) applyEvent(board, t, e, e.metric === 'heart_rate' ? m.hr : undefined, false, e.metric === 'cycling' ? m.power : undefined);
      if (m.tally) applyTally(board, m.tally);
      for (const a of m.alerts ?? []) applyAlert(board, t, 'opened', a);
      sortTiles(board);
      break;
    }
    case 'event': {
      const t = board.tiles.get(m.event.userId);
      if (t) applyEvent(board, t, m.event, m.hr, true, m.power);
      break;
    }
    case 'tally': applyTally(board, m.tally); break;
    case 'state': {
      const t = board.tiles.get(m.athlete);
      if (!t) break;
      t.state = m.state;
      if (m.lastAt) t.lastAt = Date.parse(m.lastAt);
      markDirty(board, t);
      break;
    }
    case 'battery': {
      const t = board.tiles.get(m.athlete);
      if (t) {
        t.battery = m.percent;
        markDirty(board, t);
      }
      break;
    }
    case 'alert': {
      const t = board.tiles.get(m.athlete);
      if (t) applyAlert(board, t, m.change, m.alert);
      break;
    }
    case 'revoked': removeTile(board, m.athlete); break;
    case 'session': showSession(board, m.session); break;
    case 'timer': if (board.session && m.session === board.session.id) setTimer(board, m.timer); break;
    case 'subscribed': if (m.denied.length > 0) setStatus(`no consent to show: ${m.denied.join(', ')}`); break;
    case 'error': setStatus(`error: ${m.code} — ${m.message}`); break;
    default: break;
  }
}

function connect(board: BoardState, token: string): void {
  board.token = token;
  const live = new LiveConnection(token, {
    onMessage: (m) => onMessage(board, m),
    onStatus: (s) => setStatus(s),
    onReady: (m) => {
      board.ready = m;
      $('#start-class').hidden = !(m.kind === 'coach' || m.kind === 'admin') || board.session !== null;
      const sessionId = new URLSearchParams(location.search).get('session');
      if (sessionId && !board.tiles.size) live.subscribe([], sessionId);
      else void refreshAthletes(board);
    },
    onAuthFailed: () => {
      forgetToken();
      live.stop();
      signIn(board);
    },
  });
  board.live = live;
  live.start();
}

function signIn(board: BoardState): void {
  void askToken($<HTMLFormElement>('#login'), $<HTMLInputElement>('#token')).then((t) => connect(board, t));
}

function main(): void {
  const board = createBoardState(readToken(), new URLSearchParams(location.search));
  wireClass(board);
  wireTimer(board);
  wireTvLayout(board);
  setInterval(() => tickTiles(board), 1000);
  setInterval(() => void refreshAthletes(board), 10_000);
  if (board.token) connect(board, board.token);
  else {
    setStatus('sign in');
    signIn(board);
  }
}

main();
