import { describe, expect, it } from 'vitest';
import { cpuSeconds, percentiles } from '../lib/stats.js';

describe('bench percentiles', () => {
  it('are nearest-rank over the sorted values and leave the input alone', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1000 … 1
    const p = percentiles(xs);
    expect(p).toEqual({ n: 1000, p50: 501, p90: 901, p99: 991, p999: 1000, max: 1000 });
    expect(xs[0]).toBe(1000);
  });

  it('are NaN for no values', () => {
    const p = percentiles([]);
    expect(p.n).toBe(0);
    expect(p.p99).toBeNaN();
    expect(p.max).toBeNaN();
  });
});

describe('bench cpuSeconds', () => {
  it('reads this process from /proc and gives 0 for a process that does not exist', () => {
    expect(cpuSeconds(process.pid)).toBeGreaterThan(0);
    expect(cpuSeconds(2 ** 22 + 1)).toBe(0); // above the kernel's pid_max limit
  });
});
