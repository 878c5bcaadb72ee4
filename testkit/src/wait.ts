export interface WaitOptions {
  /** Give up after this long (ms); default 15 s (a loaded machine is slow; a passing test never waits it out). */
  timeout?: number;
  /** What is awaited, for the error message. */
  what?: string;
  /** Poll interval (ms); default 20. */
  interval?: number;
}

/**
 * Polls `fn` until it gives a value (anything but undefined or false) and returns it, or fails
 * naming `what` once `timeout` is over. The one way tests wait: a deadline, never a fixed sleep.
 */
export async function waitFor<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, options: WaitOptions = {}): Promise<T> {
  const { timeout = 15_000, what = 'condition', interval = 20 } = options;
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}
