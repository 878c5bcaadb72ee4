// The board's one state object: created once by board.ts and passed to every module.
import type { AlertJson, ClassSessionInfo, IntervalTimer, SessionTally, SignalState } from '@pulsehub/contracts';
import type { LiveConnection, ReadyMessage } from '../lib/live.js';
import type { PowerReading } from '../lib/power.js';
import type { Sparkline } from '../lib/sparkline.js';

export interface Tile {
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
  /** Newest rolling RMSSD (ms) from the hub, when the athlete's strap sends RR intervals. */
  rmssd: number | null;
  showHrv: boolean;
  /** Newest cycling power reading (W, and % FTP / level when the athlete has an FTP). */
  power: PowerReading | null;
  /** Open alerts of the athlete (acknowledged ones included), by id. */
  alerts: Map<number, AlertJson>;
}

/** The coach's interval timer as this board last heard of it. */
export interface TimerState {
  current: IntervalTimer | null;
  /** `round-phase` last shown, to beep on a change. */
  lastPhase: string;
  /** Created on the coach's click (browsers start audio only after a user gesture). */
  audio: AudioContext | null;
}

export interface BoardState {
  tiles: Map<string, Tile>;
  /** Tiles to render on the next animation frame. */
  dirty: Set<Tile>;
  /** The pending requestAnimationFrame id, 0 when none. */
  frame: number;
  leadersDirty: boolean;
  token: string | null;
  live: LiveConnection | null;
  ready: ReadyMessage | null;
  session: ClassSessionInfo | null;
  timer: TimerState;
  query: URLSearchParams;
}

export function createBoardState(token: string | null, query: URLSearchParams): BoardState {
  return { tiles: new Map(), dirty: new Set(), frame: 0, leadersDirty: false, token, live: null, ready: null, session: null, timer: { current: null, lastPhase: '', audio: null }, query };
}
