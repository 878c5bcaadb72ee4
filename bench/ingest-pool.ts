/**
 * What ingest's worker threads take off the broker's loop (issue 17 §4): main-thread CPU per
 * message for validation + adapter + the live message's JSON, run inline (PULSEHUB_INGEST_WORKERS=0)
 * against handed to a ProcessPool of 1 and 2 threads (the hand-off, the results' parse and the
 * live slices stay on the loop). 100,000 pulsehub.v1 heart-rate readings from 20 devices, 200 per
 * turn of the event loop; alternating, twice. Main-thread CPU is read from the thread's own
 * /proc task (Linux), so a loaded machine slows the wall clock but not this figure.
 *
 *   npx tsx --conditions=source bench/ingest-pool.ts
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { createAdapterRegistry, processMessage, ProcessPool } from '@pulsehub/ingest';

const registry = createAdapterRegistry();
const N = 100_000;
const TURN = 200;
const payloads = Array.from({ length: N }, (_, i) => Buffer.from(JSON.stringify({ id: `e${i}`, metric: 'heart_rate', at: new Date(1_790_000_000_000 + i * 1000).toISOString(), values: { bpm: 60 + (i % 80) }, rr: [800, 810] })));
const at = new Date().toISOString();
/** CPU ms of the main thread alone: its task's utime + stime (100 Hz ticks). */
const mainCpuMs = () => {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const turn = () => new Promise((r) => setImmediate(r));
const figure = (name: string, cpuMs: number, wallMs: number) => `${name}: main-thread CPU ${((cpuMs * 1000) / N).toFixed(2)} µs/msg, wall ${((wallMs * 1000) / N).toFixed(2)} µs/msg`;

async function inline(): Promise<string> {
  const c0 = mainCpuMs();
  const t0 = performance.now();
  for (let i = 0; i < N; i += TURN) {
    for (let k = i; k < i + TURN; k++) {
      const r = processMessage(`users/u${k % 20}/events/w${k % 20}`, payloads[k]!, at, registry, undefined);
      for (const e of r.events) JSON.stringify(e); // the live message
    }
    await turn();
  }
  return figure('inline', mainCpuMs() - c0, performance.now() - t0);
}

async function pooled(size: number): Promise<string> {
  const pool = new ProcessPool({ size, logger: pino({ level: 'silent' }), inlineLone: false }); // every message through a thread
  // warm-up: threads started, their code loaded
  await new Promise<void>((r) => {
    let n = 0;
    for (let k = 0; k < TURN; k++) pool.process('w', 'users/u/events/w', payloads[k]!, at, undefined, () => ++n === TURN && r());
  });
  const c0 = mainCpuMs();
  const t0 = performance.now();
  let done = 0;
  const all = new Promise<void>((resolve) => {
    void (async () => {
      for (let i = 0; i < N; i += TURN) {
        for (let k = i; k < i + TURN; k++) pool.process(`w${k % 20}`, `users/u${k % 20}/events/w${k % 20}`, payloads[k]!, at, undefined, () => ++done === N && resolve());
        await turn();
      }
    })();
  });
  await all;
  const out = figure(`pool of ${size}`, mainCpuMs() - c0, performance.now() - t0);
  await pool.close();
  return out;
}

for (let r = 0; r < 2; r++) {
  console.log(await inline());
  console.log(await pooled(1));
  console.log(await pooled(2));
}
