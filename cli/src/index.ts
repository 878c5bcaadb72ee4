export { startHub, type Hub, type StartHubOptions } from './hub.js';
export { loadConfig, weakSecretReason, type HubConfig, CONFIG_ENV_NAMES, DEFAULT_HTTP_PORT, DEFAULT_MQTT_PORT } from './config.js';
export { loadKeyring } from './secrets.js';
export { startSimulator, type SimulatedDevice, type Simulator } from './simulate.js';
export { startDemo, DEMO_ATHLETES, DEMO_COACH } from './demo.js';
export { hubAddresses, keyringForRunningHub, readRuntimePorts, runtimeFilePath, movedPortNotes, type RuntimePorts } from './runtime-file.js';
export { tokenCommand, TOKEN_USAGE } from './token-command.js';
export { dashboardLine } from './banner.js';
export { startCluster, readClusterState, stopClusterState, freePorts, type Cluster, type ClusterNode, type ClusterOptions, type ClusterState } from './cluster.js';
