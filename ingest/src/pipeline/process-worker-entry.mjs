// Starts an ingest worker thread: the pipeline is TypeScript, loaded through tsx whether or not
// the thread inherited the parent's loader (a test runner's own loader is not inherited).
import { register } from 'tsx/esm/api';

const tsx = register({ namespace: 'pulsehub-ingest-worker' });
await tsx.import('./process-worker.ts', import.meta.url);
