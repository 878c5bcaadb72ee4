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
