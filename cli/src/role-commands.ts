import pino, { type Logger } from 'pino';
import { loadConfig, type HubConfig } from './config.js';
import { loadKeyring } from './secrets.js';
import { createAccessControl, openHubStore, startBrokerNode, startIngestRole, startIntakeBrokerNode, startWebRole, type Closer, type IntakeBrokerNode } from './roles.js';

/**
 * `pulsehub broker|ingest|web`: one role per process, for scale-out. Nodes share Postgres
 * (DATABASE_URL) and, for sessions, messages and revocations across brokers, Redis (REDIS_URL).
 */
export type Role = 'broker' | 'ingest' | 'web';

async function runRole(role: Role, config: HubConfig, log: Logger): Promise<{ describe: string; closers: Closer[] }> {
  if (!config.databaseUrl) log.warn(`the ${role} role runs on PGlite in ${config.dataDir}: only one process can open it; set DATABASE_URL to run roles apart`);
  if (!config.redisUrl && role !== 'ingest') log.warn('REDIS_URL is not set: revocations and consent changes stay inside this process');
  const { keyring } = loadKeyring(config);
  const store = await openHubStore(config, undefined, log);
  const closers: Closer[] = [() => store.close()];
  try {
    const access = await createAccessControl(config, keyring, store, log);
    closers.push(access.close);
    if (role === 'broker') {
      const node = config.brokerIntake ? await startIntakeBrokerNode(config, access, store, log) : await startBrokerNode(config, access, store, log);
      closers.push(node.close);
      if (config.brokerIntake) await (node as IntakeBrokerNode).ingest.ready();
      const stores = config.brokerIntake ? ', storing readings before their PUBACK' : ' (routing only: run `pulsehub ingest` to store readings)';
      return { describe: `broker listening on mqtt://${config.mqtt.host}:${node.address.port}${stores}`, closers };
    }
    if (role === 'ingest') {
      const ingest = await startIngestRole(config, access, store, config.brokerAddress, log);
      closers.push(() => ingest.close());
      await ingest.ready();
      return { describe: `ingest consuming from mqtt://${config.brokerAddress.host}:${config.brokerAddress.port}`, closers };
    }
    const { web, port, outbound } = await startWebRole(config, access, store, log, { broker: config.brokerAddress });
    closers.push(() => web.close());
    closers.push(outbound);
    return { describe: `web on http://${config.http.host}:${port}, live data from mqtt://${config.brokerAddress.host}:${config.brokerAddress.port}`, closers };
  } catch (err) {
    for (const c of closers.reverse()) await c().catch(() => {});
    throw err;
  }
}

export async function roleCommand(role: Role): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel }, pino.destination(2)).child({ node: role });
  const { describe, closers } = await runRole(role, config, log);
  console.log(`PulseHub ${describe}. Ctrl-C stops it.`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), 10_000).unref();
    void (async () => {
      for (const c of closers.reverse()) await c().catch((err: unknown) => log.error({ err }, 'error while closing'));
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
