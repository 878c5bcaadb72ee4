import type { IntervalTimer, MyClassTimersResponse } from '@pulsehub/contracts';
import { timerPhase } from '../lib/interval.js';
import type { PhoneIdentity } from './identity.js';

/**
 * The interval timer a coach runs for a class the athlete is in, shown on the phone too. The
 * phone asks GET /api/my-class-timers every few seconds while online (it has no /live
 * subscription of its own) and counts down from the hub's start time on its own clock.
 */
export function showClassTimers(id: PhoneIdentity, el: HTMLElement, pollMs = 5000): void {
  let timers: { name: string; timer: IntervalTimer }[] = [];
  const poll = async () => {
    if (!navigator.onLine) return;
    try {
      const res = await fetch('/api/my-class-timers', { headers: { authorization: `Bearer ${id.token}` } });
      if (res.ok) timers = ((await res.json()) as MyClassTimersResponse).timers;
    } catch {
      // offline or the hub is away: keep counting down what we had
    }
  };
  const draw = () => {
    const now = Date.now();
    const running = timers.map((t) => ({ name: t.name, p: timerPhase(t.timer, now) })).filter((t) => t.p.phase === 'work' || t.p.phase === 'rest');
    const first = running[0];
    el.hidden = !first;
    el.dataset.phase = first?.p.phase ?? '';
    if (first) el.textContent = `${first.name}: round ${first.p.round}/${first.p.rounds} · ${first.p.phase === 'work' ? 'WORK' : 'rest'} ${first.p.secondsLeft}s`;
  };
  void poll();
  setInterval(() => void poll(), pollMs);
  setInterval(draw, 250);
}
