import { describe, expect, it } from 'vitest';
import mqemitter from 'mqemitter';
import { useConstantTimeQueues } from '../src/emitter-queue.js';

describe("mqemitter's overflow queue with O(1) shift", () => {
  it('delivers every message once, in order, when far more are emitted than the concurrency allows', async () => {
    const mq = mqemitter({ concurrency: 2 });
    expect(useConstantTimeQueues(mq)).toBe(true);
    const got: number[] = [];
    mq.on('t/#', (m, done) => {
      got.push((m as unknown as { n: number }).n);
      setImmediate(done);
    });
    const n = 5000;
    await new Promise<void>((resolve) => {
      let left = n;
      for (let i = 0; i < n; i++) mq.emit({ topic: 't/x', n: i }, () => --left === 0 && resolve());
    });
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    expect((mq as unknown as { length: number }).length).toBe(0);
  });

  it('leaves an emitter without overflow arrays alone', () => {
    expect(useConstantTimeQueues({})).toBe(false);
  });
});
