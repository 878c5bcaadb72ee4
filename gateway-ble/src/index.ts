/** @pulsehub/gateway-ble: the public API. Nothing else in src/ is part of it. */
export * from './errors.js';
export * from './decoders/index.js';
