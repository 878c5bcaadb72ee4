import { parseArgs } from 'node:util';
import pino from 'pino';
import { createTokenService } from '@pulsehub/auth';
import { createBroker, loadPolicyFile, policyOptions } from '@pulsehub/broker';
import { loadConfig } from './config.js';
import { loadKeyring } from './secrets.js';

export const BROKER_USAGE = `  pulsehub broker [--policy FILE] [--host H] [--port N]
                                             the MQTT broker alone; FILE is a JSON policy
                                             ({"allowAnonymous": true, "rules": [...]}, see mosquitto-compat-tests/README.md)`;

/** `pulsehub broker`: the broker role on its own, optionally under a policy file (lab and conformance runs). */
export async function brokerCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { policy: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } }, strict: true });
  const config = loadConfig();
  const log = pino({ level: config.logLevel }, pino.destination(2));
  const policy = values.policy === undefined ? undefined : loadPolicyFile(values.policy);
  const port = values.port === undefined ? config.mqtt.port : Number(values.port);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new Error('--port must be 0..65535');
  const tokens = createTokenService(loadKeyring(config).keyring);
  const { maxFiltersPerSubscribe, maxSubscriptionsPerSession, maxTopicLength } = config.limits;
  const broker = await createBroker({ tokens, logger: log, maxFiltersPerSubscribe, maxSubscriptionsPerSession, maxTopicLength, ...(policy ? policyOptions(policy) : { allowAnonymous: config.allowAnonymous }) });
  const addr = await broker.listen({ port, host: values.host ?? config.mqtt.host });
  console.log(`PulseHub broker on mqtt://${addr.host}:${addr.port}${policy ? ` with policy ${values.policy}` : ''}${(policy?.allowAnonymous ?? config.allowAnonymous) ? ' (anonymous clients allowed)' : ''}; Ctrl-C stops`);
  const stop = () => void broker.close().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
