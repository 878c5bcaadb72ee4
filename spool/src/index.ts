export { DiskQueue, type DiskQueueOptions, type QueueEntry, type QueueStats } from './disk-queue.js';
export { encodeFrame, readFrame, HEADER_BYTES, type FrameResult } from './frame.js';
export { acquireLock, releaseLock } from './lock.js';
export { SpoolError, isSpoolError, type SpoolErrorCode } from './errors.js';
export { Forwarder, encodeOutgoing, decodeOutgoing, type Outgoing, type ForwarderOptions } from './forwarder.js';
