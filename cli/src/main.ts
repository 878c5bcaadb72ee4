// First: aedes's packet parser must find the no-op debug logger when it loads (see quiet-debug.ts).
import '@pulsehub/broker/quiet-debug';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createTokenService, rotateKeyring } from '@pulsehub/auth';
import { isPulseHubError } from '@pulsehub/contracts';
import { loadConfig } from './config.js';
import { loadKeyring } from './secrets.js';
import { writeFileSync } from 'node:fs';
import { startHub } from './hub.js';
import { startDemo } from './demo.js';
import { startSimulator } from './simulate.js';
import { roleCommand } from './role-commands.js';
import { brokerCommand, BROKER_USAGE } from './broker-command.js';
import { deadlettersCommand, DEADLETTERS_USAGE } from './deadletters-command.js';
import { webhooksCommand, WEBHOOKS_USAGE } from './webhooks-command.js';
import { hubAddresses, keyringForRunningHub } from './runtime-file.js';
import { tokenCommand, TOKEN_USAGE } from './token-command.js';
import { dashboardLine } from './banner.js';
import { clusterCommand, CLUSTER_USAGE } from './cluster-command.js';

const USAGE = `pulsehub — real-time MQTT hub for health wearables

Usage:
  pulsehub start [--demo]                    broker + ingest + web in one process (embedded defaults)
  pulsehub broker | ingest | web             one role per process, for scale-out (DATABASE_URL, REDIS_URL,
                                             PULSEHUB_BROKER_URL; see deploy/README.md)
${TOKEN_USAGE}
  pulsehub keys rotate                       new signing key in ./data/secrets.json; the previous one still verifies
  pulsehub simulate [--devices N] [--rate HZ] [--mqtt mqtt://host:port] [--prefix sim]
                                             simulated watches publishing heart rate and steps
                                             (default: the running hub's MQTT port)
  pulsehub port mqtt | http                  the port the running hub bound (./data/ports.json),
                                             else the configured one
${BROKER_USAGE}
${DEADLETTERS_USAGE}
${WEBHOOKS_USAGE}
${CLUSTER_USAGE}
Configuration is read from the environment (see README: Configuration).`;

async function main(argv: string[]): Promise<void> {
  // Whatever the hub writes (keys, PGlite files, lock) is for its own user only.
  process.umask(0o077);
  const [command, ...rest] = argv;
  // [issue 4] `pulsehub broker --policy FILE`: the broker alone under a policy file, no database (broker-command.ts).
  if (command === 'broker' && rest.length > 0) return brokerCommand(rest);
  switch (command) {
    case 'start':
      return start(rest);
    case 'token':
      process.exitCode = await tokenCommand(rest, loadConfig());
      return;
    case 'keys':
      return keys(rest);
    case 'simulate':
      return simulate(rest);
    case 'port':
      return port(rest);
    case 'deadletters':
      process.exitCode = await deadlettersCommand(rest, loadConfig());
      return;
    case 'webhooks':
      process.exitCode = await webhooksCommand(rest, loadConfig());
      return;
    case 'cluster':
      process.exitCode = await clusterCommand(rest);
      return;
    case 'broker':
    case 'ingest':
    case 'web':
      return roleCommand(command);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { demo: { type: 'boolean', default: false } }, strict: true });
  const config = loadConfig();
  const { keyring, created, path } = loadKeyring(config);
  // Logs go to stderr so the banner on stdout stays readable.
  const log = pino({ level: config.logLevel }, pino.destination(2));
  const hub = await startHub({ config, keyring, logger: log, ...(path ? { keyringFile: path } : {}) });
  const lines = [
    '',
    `PulseHub is running — ${config.mode}, database: ${hub.store.kind === 'pglite' ? `PGlite in ${config.dataDir}/db` : 'Postgres (DATABASE_URL)'}`,
    `  MQTT        ${hub.mqtt.url}   (MQTT over WebSocket: ${hub.http.url.replace('http', 'ws')}/mqtt)`,
    ...(hub.mqtts ? [`  MQTT/TLS    ${hub.mqtts.url}${config.mqtts?.caFile ? '   (devices may authenticate with a client certificate)' : ''}`] : []),
    `  Web         ${hub.http.url}   (health: ${hub.http.url}/healthz)`,
    ...hub.notes.map((n) => `  Note        ${n}`),
  ];
  if (created) lines.push(`  Secrets     generated on first run and kept in ${path} (keep it private)`);
  if (values.demo) {
    const demo = await startDemo(hub);
    lines.push(`  Dashboard   ${hub.http.url}/?token=${demo.coachToken}`, '  Demo        6 simulated watches publish heart rate (1 Hz) and steps; the coach token above sees them all');
    process.once('beforeExit', () => void demo.simulator.stop());
  } else {
    lines.push(await dashboardLine(config.mode, hub.http.url, () => hub.mint({ subject: 'admin', kind: 'admin', ttlSeconds: 12 * 3600 })));
  }
  lines.push(
    '',
    'Publish a reading from any MQTT client (user "ana", device "my-watch"):',
    `  TOKEN=$(pnpm -s pulsehub token device my-watch --user ana)`,
    `  mosquitto_pub -h ${hub.mqtt.host} -p ${hub.mqtt.port} -u my-watch -P "$TOKEN" -t users/ana/events -q 1 \\`,
    `    -m '{"metric":"heart_rate","values":{"bpm":72}}'`,
    '',
    'Ctrl-C stops the hub.',
    '',
  );
  console.log(lines.join('\n'));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    hub.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** Development key rotation: production sets PULSEHUB_JWT_SECRET / PULSEHUB_JWT_PREVIOUS instead (README: Broker). */
async function keys(args: string[]): Promise<void> {
  if (args[0] !== 'rotate') {
    console.error('usage: pulsehub keys rotate');
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  if (config.jwt) throw new Error('keys come from PULSEHUB_JWT_SECRET: rotate by moving it to PULSEHUB_JWT_PREVIOUS and setting a new one (README: Broker)');
  const { keyring, path } = loadKeyring(config);
  if (!path) throw new Error('no development key file');
  const next = rotateKeyring(keyring);
  writeFileSync(path, JSON.stringify({ keyring: next }, null, 2), { mode: 0o600 });
  console.log(`new signing key ${next.current.kid}; ${keyring.current.kid} still verifies until the next rotation. A running \`pulsehub start\` loads it within a second; re-issue device tokens.`);
}

async function simulate(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { devices: { type: 'string', default: '10' }, rate: { type: 'string', default: '1' }, mqtt: { type: 'string' }, prefix: { type: 'string', default: 'sim' } } });
  const config = loadConfig();
  const tokens = createTokenService(keyringForRunningHub(config, loadKeyring(config).keyring));
  const hub = hubAddresses(config);
  const url = new URL(values.mqtt ?? `mqtt://${hub.mqtt.host}:${hub.mqtt.port}`);
  const n = Number(values.devices);
  const rate = Number(values.rate);
  if (!(Number.isInteger(n) && n > 0 && n <= 10_000) || !(rate > 0 && rate <= 100)) throw new Error('--devices must be 1..10000 and --rate 0..100 Hz');
  const devices = [];
  for (let i = 0; i < n; i++) {
    const userId = `${values.prefix}-${i}`;
    devices.push({ deviceId: `${userId}-watch`, userId, token: (await tokens.mint({ subject: `${userId}-watch`, kind: 'device', users: [userId] })).token });
  }
  const target = { host: url.hostname, port: Number(url.port || 1883) };
  const sim = await startSimulator({ ...target, devices, rateHz: rate });
  // (URL.origin is "null" for mqtt: URLs.)
  const where = values.mqtt ? '' : hub.running ? ' (the running hub, from ports.json)' : ' (the configured port; no hub runs on this data dir)';
  console.log(`${n} simulated devices publishing at ${rate} Hz to mqtt://${target.host}:${target.port}${where}; Ctrl-C stops`);
  const report = setInterval(() => console.log(`sent ${sim.sent}`), 5000);
  process.once('SIGINT', () => {
    clearInterval(report);
    void sim.stop().then(() => process.exit(0));
  });
}

/** `pulsehub port mqtt|http`: for scripts, e.g. `mosquitto_pub -p "$(pnpm -s pulsehub port mqtt)"`. */
async function port(args: string[]): Promise<void> {
  const which = args[0];
  if (which !== 'mqtt' && which !== 'http') {
    console.error('usage: pulsehub port mqtt | http');
    process.exitCode = 2;
    return;
  }
  console.log(hubAddresses(loadConfig())[which].port);
}

// pnpm passes a literal '--' through (pnpm start -- --demo); treat it as nothing.
main(process.argv.slice(2).filter((a) => a !== '--')).catch((err: unknown) => {
  if (isPulseHubError(err)) console.error(`pulsehub: ${err.code}: ${err.message}`);
  else console.error(`pulsehub: ${(err as Error).message}`);
  process.exit(1);
});
