/**
 * Our broker as a benchmark target: JWT authentication and the default topic rules on,
 * in-memory state, logs off. `--keys FILE` is the keyring broker-creds.ts signed with.
 *
 *   node --conditions=source --import tsx bench/broker-node.ts --port 18831 --keys keys.json
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createTokenService, type Keyring } from '@pulsehub/auth';
import { createBroker } from '@pulsehub/broker';

const { values } = parseArgs({ options: { port: { type: 'string', default: '18831' }, keys: { type: 'string' }, 'rate-limits': { type: 'boolean', default: false } } });
if (!values.keys) throw new Error('--keys FILE is required (written by bench/broker-creds.ts)');
const keyring = JSON.parse(readFileSync(values.keys, 'utf8')) as Keyring;
const broker = await createBroker({
  tokens: createTokenService(keyring),
  // The fan-in scenarios publish as fast as the window allows: per-device limits would
  // measure the limiter, not the broker. `--rate-limits` turns the defaults back on.
  ...(values['rate-limits'] ? {} : { rateLimits: false as const }),
});
const { port } = await broker.listen({ port: Number(values.port), host: '127.0.0.1' });
console.error(`pulsehub broker (auth + ACL) on 127.0.0.1:${port}`);
const stop = () => void broker.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
