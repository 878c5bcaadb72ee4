import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { createTokenService, generateSigningKey } from '@pulsehub/auth';
import { createBroker, type PulseHubBroker } from '@pulsehub/broker';

const tokens = createTokenService({ current: generateSigningKey(), previous: [] });
let broker: PulseHubBroker;
let port: number;

beforeAll(async () => {
  broker = await createBroker({ tokens, maxQueuedPerSession: 5, rateLimits: false });
  ({ port } = await broker.listen({ port: 0 }));
});
afterAll(async () => broker?.close());

async function connect(subject: string, kind: 'admin' | 'service', clean: boolean) {
  const { token } = await tokens.mint({ subject, kind });
  const c = mqtt.connect({ port, host: '127.0.0.1', username: subject, password: token, clientId: `${subject}-session`, clean, reconnectPeriod: 0 });
  await new Promise((r, j) => (c.once('connect', r), c.once('error', j)));
  return c;
}

async function offlineThenCount(subject: string, kind: 'admin' | 'service', n: number): Promise<string[]> {
  const sub = await connect(subject, kind, false);
  await sub.subscribeAsync(`users/${subject}/q`, { qos: 1 });
  await sub.endAsync();
  const pub = await connect(`${subject}-pub`, 'admin', true);
  for (let i = 0; i < n; i++) await pub.publishAsync(`users/${subject}/q`, String(i), { qos: 1 });
  await pub.endAsync();
  const back = await connect(subject, kind, false);
  const got: string[] = [];
  back.on('message', (_t, p) => got.push(p.toString()));
  await new Promise((r) => setTimeout(r, 300));
  await back.endAsync();
  return got;
}

describe('in-memory persistence: indexed outgoing queue, bounded per session', () => {
  it('keeps the newest maxQueuedPerSession messages of an offline session, in order, and counts the drops', async () => {
    const got = await offlineThenCount('ofl', 'admin', 8);
    expect(got).toEqual(['3', '4', '5', '6', '7']);
    expect(await broker.metrics.render()).toMatch(/dropped[^\n]*queue_full[^\n]* 3/);
  });

  it('never drops from a service session (ingest must not lose what it has not committed)', async () => {
    const got = await offlineThenCount('svc', 'service', 8);
    expect(got).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
  });
});
