import { BeatScheduler } from './beats.js';

/** Without RR intervals for this long, the heart goes back to the CSS animation paced by BPM. */
const RR_SILENCE_MS = 4000;

/**
 * Drives the overlay's heart from RR intervals: one pulse per real beat (see lib/beats.ts for
 * the schedule). Each pulse plays a one-shot animation and dispatches a `beat` event on the
 * element (with the scheduled time in `detail`). Readings without RR leave the CSS animation
 * paced by BPM in charge.
 */
export class HeartPulse {
  private readonly scheduler = new BeatScheduler();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private lastRrAt = -Infinity;
  private readonly still = matchMedia('(prefers-reduced-motion: reduce)').matches;

  constructor(private readonly el: SVGElement | HTMLElement) {
    setInterval(() => this.checkSilence(), 1000);
  }

  /** A heart-rate reading arrived (now): schedule its beats when it carries RR intervals. */
  onReading(rr: readonly number[] | undefined): void {
    if (!rr || rr.length === 0) return;
    const now = performance.now();
    this.lastRrAt = now;
    this.el.dataset.driver = 'rr';
    this.el.style.animation = 'none';
    for (const at of this.scheduler.schedule(now, rr)) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.pulse(at);
      }, Math.max(0, at - now));
      this.timers.add(timer);
    }
  }

  /** Signal lost or revoked: stop the queued pulses. */
  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.scheduler.reset();
  }

  private pulse(at: number): void {
    if (!this.still) this.el.animate([{ transform: 'scale(1)' }, { transform: 'scale(1.18)', offset: 0.3 }, { transform: 'scale(1)' }], { duration: 260, easing: 'ease-in-out' });
    this.el.dispatchEvent(new CustomEvent('beat', { detail: { at } }));
  }

  private checkSilence(): void {
    if (this.el.dataset.driver !== 'rr' || performance.now() - this.lastRrAt < RR_SILENCE_MS) return;
    delete this.el.dataset.driver;
    this.el.style.removeProperty('animation');
    this.scheduler.reset();
  }
}
