/** @pulsehub/gateway-ble: the public API. Nothing else in src/ is part of it. */
export * from './errors.js';
export * from './decoders/index.js';
// The queue and forwarder live in @pulsehub/spool (shared with the hub's Home Assistant bridge); re-exported for this API's users.
export { DiskQueue, Forwarder, encodeOutgoing, decodeOutgoing, type DiskQueueOptions, type QueueEntry, type QueueStats, type ForwarderOptions, type Outgoing } from '@pulsehub/spool';
export { createHubClient, closeHubClient, type HubClientOptions } from './publisher/hub-client.js';
export { ReadingSink, type ReadingEvent } from './pipeline/sink.js';
export { bleEventId, buildPayload, deviceIdFromAddress, measurementTime, SequenceCounter, type SensorIdentity, type MeasurementTime } from './pipeline/payload.js';
export { GatewayConfig, DeviceBinding, parseConfig, loadConfig, resolveToken, formatIssues } from './config/config.js';
export { BleRuntime, type RuntimeOptions } from './runtime/gateway.js';
export { GattSession, type SessionState } from './runtime/session.js';
export { WeighInTracker, type WeighIn } from './runtime/weigh-in.js';
export { loadNoble, nobleWithBindings, whenPoweredOn, BLUETOOTH_HELP, type Noble, type NoblePeripheral, type NobleCharacteristic } from './runtime/noble.js';
export { PROFILES, PROFILE_NAMES, type ProfileName, type Profile } from './runtime/profiles.js';
export { registerDevice, type RegisterDevice } from './hub-api.js';
export { main, EXIT, type Io } from './cli/main.js';
export { createLogger, type Logger } from './log.js';
