import { parseArgs } from 'node:util';
import pino from 'pino';
import { createTokenService, rotateKeyring } from '@pulsehub/auth';
import { isPulseHubError, SubjectKind } from '@pulsehub/contracts';
import { loadConfig } from './config.js';
import { loadKeyring } from './secrets.js';
import { writeFileSync } from 'node:fs';
import { startHub } from './hub.js';
import { startDemo } from './demo.js';
import { startSimulator } from './simulate.js';
import { roleCommand } from './role-commands.js';
import { brokerCommand, BROKER_USAGE } from './broker-command.js';
import { deadlettersCommand, DEADLETTERS_USAGE } from './deadletters-command.js';

const USAGE = `pulsehub — real-time MQTT hub for health wearables

Usage:
  pulsehub start [--demo]                    broker + ingest + web in one process (embedded defaults)
  pulsehub broker | ingest | web             one role per process, for scale-out (DATABASE_URL, REDIS_URL,
                                             PULSEHUB_BROKER_URL; see deploy/README.md)
  pulsehub token <kind> <subject> [--user ID]... [--ttl SECONDS]
                                             mint a token (kinds: ${SubjectKind.options.join(', ')})
  pulsehub keys rotate                       new signing key in ./data/secrets.json; the previous one still verifies
  pulsehub simulate [--devices N] [--rate HZ] [--mqtt mqtt://host:port] [--prefix sim]
                                             simulated watches publishing heart rate and steps
${BROKER_USAGE}
${DEADLETTERS_USAGE}
Configuration is read from the environment (see README: Configuration).`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  // [issue 4] `pulsehub broker --policy FILE`: the broker alone under a policy file, no database (broker-command.ts).
  if (command === 'broker' && rest.length > 0) return brokerCommand(rest);
  switch (command) {
    case 'start':
      return start(rest);
    case 'token':
      return token(rest);
    case 'keys':
      return keys(rest);
    case 'simulate':
      return simulate(rest);
    case 'deadletters':
      process.exitCode = await deadlettersCommand(rest, loadConfig());
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
  const hub = await startHub({ config, keyring, logger: log });
  const lines = [
    '',
    `PulseHub is running — ${config.mode}, database: ${hub.store.kind === 'pglite' ? `PGlite in ${config.dataDir}/db` : 'Postgres (DATABASE_URL)'}`,
    `  MQTT        ${hub.mqtt.url}   (MQTT over WebSocket: ${hub.http.url.replace('http', 'ws')}/mqtt)`,
    ...(hub.mqtts ? [`  MQTT/TLS    ${hub.mqtts.url}${config.mqtts?.caFile ? '   (devices may authenticate with a client certificate)' : ''}`] : []),
    `  Web         ${hub.http.url}   (health: ${hub.http.url}/healthz)`,
  ];
  if (created) lines.push(`  Secrets     generated on first run and kept in ${path} (keep it private)`);
  if (values.demo) {
    const demo = await startDemo(hub);
    lines.push(`  Dashboard   ${hub.http.url}/?token=${demo.coachToken}`, '  Demo        6 simulated watches publish heart rate (1 Hz) and steps; the coach token above sees them all');
    process.once('beforeExit', () => void demo.simulator.stop());
  } else {
    const viewer = await hub.mint({ subject: 'admin', kind: 'admin', ttlSeconds: 12 * 3600 });
    lines.push(`  Dashboard   ${hub.http.url}/?token=${viewer}   (admin, valid 12 h)`);
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

async function token(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { user: { type: 'string', multiple: true, default: [] }, ttl: { type: 'string' } } });
  const [kindArg, subject] = positionals;
  const kind = SubjectKind.safeParse(kindArg);
  if (!kind.success || !subject) {
    console.error(`usage: pulsehub token <kind> <subject> [--user ID]... [--ttl SECONDS]\n  kinds: ${SubjectKind.options.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  if ((kind.data === 'device' || kind.data === 'overlay' || kind.data === 'athlete') && values.user.length === 0) {
    console.error(`a ${kind.data} token acts for a user: add --user <userId>`);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  const tokens = createTokenService(loadKeyring(config).keyring);
  const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) throw new Error('--ttl must be a positive number of seconds');
  const minted = await tokens.mint(ttl === undefined ? { subject, kind: kind.data, users: values.user } : { subject, kind: kind.data, users: values.user, ttlSeconds: ttl });
  console.log(minted.token);
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
  console.log(`new signing key ${next.current.kid}; ${keyring.current.kid} still verifies until the next rotation. Restart the hub and re-issue device tokens.`);
}

async function simulate(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { devices: { type: 'string', default: '10' }, rate: { type: 'string', default: '1' }, mqtt: { type: 'string' }, prefix: { type: 'string', default: 'sim' } } });
  const config = loadConfig();
  const tokens = createTokenService(loadKeyring(config).keyring);
  const url = new URL(values.mqtt ?? `mqtt://127.0.0.1:${config.mqtt.port}`);
  const n = Number(values.devices);
  const rate = Number(values.rate);
  if (!(Number.isInteger(n) && n > 0 && n <= 10_000) || !(rate > 0 && rate <= 100)) throw new Error('--devices must be 1..10000 and --rate 0..100 Hz');
  const devices = [];
  for (let i = 0; i < n; i++) {
    const userId = `${values.prefix}-${i}`;
    devices.push({ deviceId: `${userId}-watch`, userId, token: (await tokens.mint({ subject: `${userId}-watch`, kind: 'device', users: [userId] })).token });
  }
  const sim = await startSimulator({ host: url.hostname, port: Number(url.port || 1883), devices, rateHz: rate });
  console.log(`${n} simulated devices publishing at ${rate} Hz to ${url.origin}; Ctrl-C stops`);
  const report = setInterval(() => console.log(`sent ${sim.sent}`), 5000);
  process.once('SIGINT', () => {
    clearInterval(report);
    void sim.stop().then(() => process.exit(0));
  });
}

// pnpm passes a literal '--' through (pnpm start -- --demo); treat it as nothing.
main(process.argv.slice(2).filter((a) => a !== '--')).catch((err: unknown) => {
  if (isPulseHubError(err)) console.error(`pulsehub: ${err.code}: ${err.message}`);
  else console.error(`pulsehub: ${(err as Error).message}`);
  process.exit(1);
});
