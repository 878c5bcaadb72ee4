import type { IntervalTimer } from '@pulsehub/contracts';

/** Where an interval timer stands at `now` (ms): round 1..rounds, work or rest, seconds left. */
export interface TimerPhase { phase: 'work' | 'rest' | 'done' | 'stopped'; round: number; rounds: number; secondsLeft: number }

export function timerPhase(t: IntervalTimer, now: number): TimerPhase {
  const start = Date.parse(t.startedAt);
  const end = t.stoppedAt ? Date.parse(t.stoppedAt) : Infinity;
  const elapsed = Math.max(0, (Math.min(now, end) - start) / 1000);
  const period = t.workSec + t.restSec;
  const total = period * t.rounds - t.restSec; // no rest after the last round
  if (elapsed >= total) return { phase: 'done', round: t.rounds, rounds: t.rounds, secondsLeft: 0 };
  const round = Math.floor(elapsed / period) + 1;
  const into = elapsed - (round - 1) * period;
  const phase = into < t.workSec ? 'work' : 'rest';
  const secondsLeft = Math.ceil(phase === 'work' ? t.workSec - into : period - into);
  return { phase: now >= end ? 'stopped' : phase, round, rounds: t.rounds, secondsLeft };
}

/** A short beep (WebAudio), for the start of each work and rest phase; silent if audio is blocked. */
export function beep(ctx: AudioContext | null, freq = 880, ms = 180): void {
  if (!ctx) return;
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.25, ctx.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + ms / 1000);
  osc.connect(gain).connect(ctx.destination);
  osc.start();
  osc.stop(ctx.currentTime + ms / 1000);
}
