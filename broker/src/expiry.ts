/**
 * One schedule for every connection whose token expires (issue 11, defect 7): clients are
 * kept in buckets by their token's `exp` second, bucket seconds in a min-heap, and a single
 * timer is armed for the earliest bucket. A connection costs a Map entry (or a place in a
 * shared bucket), not a timer and a closure of its own; a connection that ends is removed
 * from its bucket at once, so nothing is kept for it until its expiry.
 */

/** setTimeout's largest delay (~24.8 days); a later expiry re-arms on the way. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export class ExpirySchedule<T extends object> {
  /**
   * exp second → the one item expiring then, a set when several do, or null once emptied
   * (the second stays in the heap until its turn, so a reconnecting client reuses it).
   */
  private readonly buckets = new Map<number, T | Set<T> | null>();
  /** Bucket seconds, a binary min-heap, each second once. */
  private readonly heap: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;

  constructor(private readonly expire: (item: T) => void, private readonly now: () => number = Date.now) {}

  /** Number of items waiting. */
  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b === null ? 0 : b instanceof Set ? b.size : 1;
    return n;
  }

  /** Calls `expire(item)` at `expSec` (Unix seconds, a JWT `exp`), unless removed before. */
  add(item: T, expSec: number): void {
    const b = this.buckets.get(expSec);
    if (b === undefined || b === null) {
      this.buckets.set(expSec, item);
      if (b === undefined) this.push(expSec);
    } else if (b instanceof Set) b.add(item);
    else if (b !== item) this.buckets.set(expSec, new Set([b, item]));
    this.arm();
  }

  remove(item: T, expSec: number): void {
    const b = this.buckets.get(expSec);
    if (b === item) this.buckets.set(expSec, null);
    else if (b instanceof Set) {
      b.delete(item);
      if (b.size === 0) this.buckets.set(expSec, null);
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Infinity;
    this.buckets.clear();
    this.heap.length = 0;
  }

  private arm(): void {
    const next = this.heap[0];
    if (next === undefined) return;
    const at = next * 1000;
    if (this.timer && at >= this.armedAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(() => this.fire(), Math.min(MAX_DELAY_MS, Math.max(0, at - this.now())));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    const now = this.now();
    while (this.heap.length > 0 && (this.heap[0] as number) * 1000 <= now) {
      const sec = this.pop();
      const b = this.buckets.get(sec);
      this.buckets.delete(sec);
      if (b === undefined || b === null) continue;
      if (b instanceof Set) for (const item of b) this.expire(item);
      else this.expire(b);
    }
    this.arm();
  }

  private push(v: number): void {
    const h = this.heap;
    h.push(v);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((h[p] as number) <= v) break;
      h[i] = h[p] as number;
      i = p;
    }
    h[i] = v;
  }

  private pop(): number {
    const h = this.heap;
    const top = h[0] as number;
    const last = h.pop() as number;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && (h[r] as number) < (h[l] as number) ? r : l;
        if ((h[c] as number) >= last) break;
        h[i] = h[c] as number;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
