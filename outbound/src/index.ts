export { addressClass, refusedAddress, resolveTarget, checkWebhookUrl, type ResolvedTarget } from './address-guard.js';
export { SIGNATURE_HEADER, sign, verify } from './signature.js';
export { postJson, type SendResult } from './http-send.js';
export { createWebhookWorker, backoffDelay, DEFAULT_BACKOFF, type Backoff, type WebhookWorker, type WebhookWorkerOptions, type WebhookWorkerStats } from './webhook-worker.js';
export { createWebhookMetrics, type WebhookMetrics } from './webhook-metrics.js';
export { createAnalyzerSync, type AnalyzerSync, type AnalyzerSyncOptions, type SyncRunResult } from './analyzer-sync.js';
export { createBridge, type Bridge, type BridgeOptions, type BridgeStats } from './bridge/bridge.js';
export { nodeId as bridgeNodeId, discoveryConfigs, statePayload } from './bridge/ha.js';
