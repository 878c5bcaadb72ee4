/**
 * Small pieces the benches share: percentiles, per-process CPU and RSS from /proc, and the
 * high-resolution wall clock that lets a reading's send time travel to another process.
 */
import { readFileSync } from 'node:fs';

export interface Percentiles { n: number; p50: number; p90: number; p99: number; p999: number; max: number }

/** Nearest-rank percentiles of `xs` (NaN when empty). Does not modify `xs`. */
export function percentiles(xs: ArrayLike<number>): Percentiles {
  const s = Float64Array.from(xs).sort();
  const q = (p: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]!);
  return { n: s.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), p999: q(0.999), max: s.length ? s[s.length - 1]! : NaN };
}

/**
 * Microseconds since the epoch, with performance.now()'s resolution. Processes on one machine
 * share the clock, so a time written into a payload by one can be subtracted by another.
 */
export const epochMicros = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Resident set size in MB; NaN when the process is gone. */
export function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU of a set of processes over a window: call `start()` then `stop()`; % of one core per pid. */
export class CpuWindow {
  private readonly t0 = performance.now();
  private readonly c0: Map<number, number>;
  constructor(pids: number[]) {
    this.c0 = new Map(pids.map((p) => [p, cpuSeconds(p)]));
  }
  /** Percent of one core per pid still alive at the end; pids not in the start set are ignored. */
  stop(): Map<number, number> {
    const seconds = (performance.now() - this.t0) / 1000;
    const out = new Map<number, number>();
    for (const [pid, c0] of this.c0) {
      const c1 = cpuSeconds(pid);
      if (c1 > 0) out.set(pid, (100 * (c1 - c0)) / seconds);
    }
    return out;
  }
}
