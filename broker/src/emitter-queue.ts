/**
 * mqemitter (the message bus inside Aedes) parks messages beyond its concurrency limit in two
 * arrays and takes them out with `Array.prototype.shift()`, which copies the array once it is
 * large: under a burst (thousands of devices publishing at once, or ingest catching up after
 * a database pause) dispatch becomes quadratic and the broker stalls. A queue with O(1)
 * `shift` keeps the same order and interface.
 */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): number {
    this.items.push(item);
    return this.length;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact once the consumed prefix dominates, so memory follows the live length.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

interface EmitterQueues {
  _messageQueue?: unknown;
  _messageCallbacks?: unknown;
}

/** Replaces the emitter's overflow arrays with O(1) queues; a no-op for emitters without them. */
export function useConstantTimeQueues(mq: unknown): boolean {
  const e = mq as EmitterQueues;
  if (!Array.isArray(e._messageQueue) || !Array.isArray(e._messageCallbacks)) return false;
  if (e._messageQueue.length > 0 || e._messageCallbacks.length > 0) return false; // only on a fresh emitter
  e._messageQueue = new Fifo();
  e._messageCallbacks = new Fifo();
  return true;
}

export { Fifo };

interface EmitterDispatch {
  _do(message: unknown, callback: unknown): unknown;
  current: number;
  _doing: boolean;
}

/** Dispatches nested deeper than this wait for the outermost one to finish. */
const MAX_NESTED_DISPATCH = 32;

/**
 * Found by the soak (issue 11): when a message's deliveries complete synchronously, mqemitter
 * starts the next queued message from inside the previous one's completion callback. With
 * the event loop stalled, thousands queue behind the concurrency limit, and draining them
 * nested one call chain per message until `RangeError: Maximum call stack size exceeded`
 * killed the hub. Past a small nesting depth, a dispatch is parked (its concurrency slot
 * taken at once, so later emits still queue behind it, in order) and the outermost dispatch
 * runs the parked ones in a loop: the stack stays bounded whatever the backlog.
 */
export function drainIteratively(mq: unknown): boolean {
  const e = mq as Partial<EmitterDispatch>;
  if (typeof e._do !== 'function' || typeof e.current !== 'number') return false;
  const dispatch = e._do;
  const parked = new Fifo<[unknown, unknown]>();
  let depth = 0;
  e._do = function parkWhenDeep(this: EmitterDispatch, message: unknown, callback: unknown) {
    if (depth >= MAX_NESTED_DISPATCH) {
      this.current++;
      this._doing = true;
      parked.push([message, callback]);
      return this;
    }
    depth++;
    try {
      dispatch.call(this, message, callback);
      if (depth === 1) {
        for (let next = parked.shift(); next !== undefined; next = parked.shift()) {
          this.current--; // its slot was taken when it was parked; dispatch takes it again
          dispatch.call(this, next[0], next[1]);
        }
      }
    } finally {
      depth--;
    }
    return this;
  };
  return true;
}
