import pino from 'pino';
import { createTokenService, generateSigningKey, type TokenService } from '@pulsehub/auth';
import { createBroker, type PulseHubBroker } from '@pulsehub/broker';

type BrokerOptions = Parameters<typeof createBroker>[0];

export interface TestBroker extends AsyncDisposable {
  readonly broker: PulseHubBroker;
  readonly tokens: TokenService;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/**
 * PulseHub's broker alone on a free port (never 1883: Mosquitto has it), with a fresh signing
 * key unless `tokens` is given; rate limits off unless told.
 */
export async function startTestBroker(options: Partial<BrokerOptions> = {}): Promise<TestBroker> {
  const tokens = options.tokens ?? createTokenService({ current: generateSigningKey(), previous: [] });
  const broker = await createBroker({ logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), rateLimits: false, ...options, tokens } as BrokerOptions);
  const { port } = await broker.listen({ port: 0, host: '127.0.0.1' });
  const close = () => broker.close();
  return { broker, tokens, port, url: `mqtt://127.0.0.1:${port}`, close, [Symbol.asyncDispose]: close };
}
