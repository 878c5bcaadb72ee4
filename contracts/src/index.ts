export * from './ids.js';
export * from './metrics.js';
export * from './event.js';
export * from './topics.js';
export * from './claims.js';
export * from './ws.js';
export * from './errors.js';
export * from './payload.js';
