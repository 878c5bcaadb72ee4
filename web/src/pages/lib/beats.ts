/**
 * Beat scheduling for the overlay's heart: with RR intervals, one pulse per real beat.
 *
 * A reading received at `receivedAt` (ms, the page's clock) carrying intervals r1..rk describes
 * the last k beats before it. They are replayed in order, one pulse after each interval, starting
 * where the previous reading's pulses end (or now, when idle), so the heart beats with the
 * athlete's real rhythm, one reading late, without bunching or gaps. A queue that runs more
 * than `maxLagMs` ahead of the clock is cut there (pulses are dropped, never hurried). Intervals outside
 * 300–2000 ms (artefacts) do not pulse; their time passes silently.
 */
export const MAX_LAG_MS = 3000;

export class BeatScheduler {
  /** When the last scheduled pulse fires. */
  private tail = -Infinity;

  /** The times (ms) to pulse at for one reading's RR intervals. */
  schedule(receivedAt: number, rr: readonly number[], maxLagMs = MAX_LAG_MS): number[] {
    let t = Math.max(this.tail, receivedAt);
    const out: number[] = [];
    for (const x of rr) {
      if (!Number.isFinite(x) || x <= 0) continue;
      t += x;
      if (x >= 300 && x <= 2000) out.push(t);
    }
    // Too far behind (a burst after a gap): pulses past the lag bound are dropped.
    const limit = receivedAt + maxLagMs;
    const kept = out.filter((p) => p <= limit);
    this.tail = kept.length < out.length ? Math.min(t, limit) : t;
    return kept;
  }

  reset(): void {
    this.tail = -Infinity;
  }
}
