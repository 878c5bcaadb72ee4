import { readFile } from 'node:fs/promises';
import { loadConfig, resolveToken } from '../config/config.js';
import { createLogger } from '../log.js';
import { DiskQueue, Forwarder } from '@pulsehub/spool';
import { closeHubClient, createHubClient } from '../publisher/hub-client.js';
import { ReadingSink } from '../pipeline/sink.js';
import { BleRuntime } from '../runtime/gateway.js';
import { loadNoble, type Noble } from '../runtime/noble.js';

export interface RunDeps {
  readonly env: NodeJS.ProcessEnv;
  /** Injected in tests; the real HCI noble otherwise. */
  readonly noble?: () => Promise<Noble>;
  /** Resolves when the process should stop (SIGTERM/SIGINT). */
  readonly stopSignal: Promise<unknown>;
}

/**
 * The service: config → disk queue → hub connection and forwarder → BLE runtime. Bluetooth
 * is checked before anything else so a gateway without it fails at once with instructions.
 * On stop: scanning and sensors stop first, the queue is flushed and closed, then the hub
 * connection says offline.
 */
export async function run(configPath: string, deps: RunDeps): Promise<void> {
  const config = await loadConfig(configPath);
  const token = await resolveToken(config, deps.env);
  const log = createLogger(config.logLevel);
  const noble = await (deps.noble ?? loadNoble)();
  const queue = await DiskQueue.open({ ...config.queue, logger: log.child({ part: 'queue' }) });
  const ca = config.hub.caFile === undefined ? undefined : await readFile(config.hub.caFile);
  const client = createHubClient({ url: config.hub.mqttUrl, gatewayId: config.gateway.id, token, logger: log.child({ part: 'hub' }), ...(ca ? { ca } : {}) });
  const forwarder = new Forwarder(queue, client, { logger: log.child({ part: 'forwarder' }) });
  const sink = new ReadingSink(queue, config.gateway.id, config.scaleClock, log.child({ part: 'sink' }));
  const runtime = new BleRuntime({ noble, devices: config.devices, sink, logger: log.child({ part: 'ble' }), reconnect: config.reconnect });
  try {
    await runtime.start();
    log.info({ gatewayId: config.gateway.id, pending: queue.stats().pending }, 'gateway running');
    await deps.stopSignal;
    log.info('stopping');
  } finally {
    await runtime.stop();
    forwarder.stop();
    await queue.close();
    await closeHubClient(client, config.gateway.id);
  }
}
