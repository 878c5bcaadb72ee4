export { startHub, type Hub, type StartHubOptions } from './hub.js';
export { loadConfig, type HubConfig, DEFAULT_HTTP_PORT, DEFAULT_MQTT_PORT } from './config.js';
export { loadKeyring } from './secrets.js';
export { startSimulator, type SimulatedDevice, type Simulator } from './simulate.js';
export { startDemo, DEMO_ATHLETES, DEMO_COACH } from './demo.js';
