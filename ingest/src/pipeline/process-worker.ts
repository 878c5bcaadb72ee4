import { parentPort, workerData } from 'node:worker_threads';
import { createAdapterRegistry } from '../adapters/registry.js';
import type { DeviceAdapters } from './adapter-policy.js';
import { processMessage } from './process.js';

/**
 * The body of an ingest worker thread (see process-pool.ts): validation and adapters for a
 * batch of messages, in the order they came. Pure: the thread keeps no state between batches
 * but the adapter registry, so a batch lost with a crashed thread is simply sent again.
 */

/** One turn's messages for this thread: payloads in one transferred buffer, cut at `ends`. */
export interface WorkBatch {
  seq: number;
  topics: string[];
  receivedAt: string[];
  devices: (DeviceAdapters | null)[];
  payloads: ArrayBuffer;
  /** End offset of each payload in `payloads`. */
  ends: Int32Array;
}

/**
 * The results as one JSON text (one parse on the broker's loop instead of a structured clone
 * of every event) and, for each accepted event in order, its start and end in that text: the
 * live message of that event is that slice, with no second `JSON.stringify`.
 */
export interface WorkResult {
  seq: number;
  json: string;
  live: Int32Array;
}

/** A control message the tests use to crash the thread the way a fatal error would. */
export interface WorkCrash {
  crash: true;
}

const registry = createAdapterRegistry();
/** Tests only (`ProcessPool`'s `crashMarker`): a payload starting with it kills the thread, as a fatal bug in an adapter would. */
const crashMarker = (workerData as { crashMarker?: string } | null)?.crashMarker;
/** Tests only (`ProcessPool`'s `failStart`): the thread dies before it is ready, as a broken install would make it. */
if ((workerData as { failStart?: boolean } | null)?.failStart) throw new Error('ingest worker: failing at start (test)');

function run(b: WorkBatch): WorkResult {
  const all = Buffer.from(b.payloads);
  const live: number[] = [];
  let json = '[';
  let start = 0;
  for (let i = 0; i < b.topics.length; i++) {
    const end = b.ends[i]!;
    const payload = all.subarray(start, end);
    if (crashMarker !== undefined && payload.toString('latin1', 0, crashMarker.length) === crashMarker) process.exit(70);
    const r = processMessage(b.topics[i]!, payload, b.receivedAt[i]!, registry, b.devices[i] ?? undefined);
    start = end;
    if (i > 0) json += ',';
    json += `{"userId":${JSON.stringify(r.userId)},"deviceId":${JSON.stringify(r.deviceId)},"rejection":${JSON.stringify(r.rejection)},"events":[`;
    for (let k = 0; k < r.events.length; k++) {
      if (k > 0) json += ',';
      const e = JSON.stringify(r.events[k]);
      live.push(json.length);
      json += e;
      live.push(json.length);
    }
    json += ']}';
  }
  json += ']';
  return { seq: b.seq, json, live: Int32Array.from(live) };
}

/** The thread loaded its code: from here on a death is the work's, not the start's. */
export interface WorkReady {
  ready: true;
}

parentPort?.on('message', (m: WorkBatch | WorkCrash) => {
  if ('crash' in m) throw new Error('ingest worker: crash requested');
  const out = run(m);
  parentPort!.postMessage(out, [out.live.buffer as ArrayBuffer]);
});
parentPort?.postMessage({ ready: true } satisfies WorkReady);
