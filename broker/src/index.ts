export { createBroker, type PulseHubBroker, type ListenOptions } from './broker.js';
export { type BrokerOptions, type BrokerSettings } from './options.js';
export { compileAccess, type ClientAccess } from './policy.js';
export { CONNACK, SUBACK_FAILURE } from './return-codes.js';
