import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AEDES_CHECKED_VERSION, clientsOf, parserOf } from '../src/aedes-internals.js';
import { aedesOf, createBroker } from '../src/broker.js';
import { as, tokens } from './helpers.js';

// aedes-internals.ts reads fields aedes does not document: an aedes upgrade must re-check them.
describe('aedes internals', () => {
  it('were checked against the installed aedes version', () => {
    // aedes exports no ./package.json: find it next to its entry point.
    const entry = createRequire(join(import.meta.dirname, '../src/broker.ts')).resolve('aedes');
    const { version } = JSON.parse(readFileSync(join(dirname(entry), 'package.json'), 'utf8')) as { version: string };
    expect(version, 'aedes changed: re-read broker/src/aedes-internals.ts against its source, then bump AEDES_CHECKED_VERSION').toBe(AEDES_CHECKED_VERSION);
  });

  // [issue 17 §3] mqtt-packet keeps the CONNECT packet as the parser's settings for the connection's life.
  it('keeps no CONNECT password (the token and its read chunk) once a client is authenticated', async () => {
    const broker = await createBroker({ tokens, rateLimits: false, sysIntervalMs: 0 });
    const { port } = await broker.listen({ port: 0 });
    const client = await as(port, 'device', 'ai-w1', ['ana']);
    try {
      const connected = clientsOf(aedesOf(broker))[client.options.clientId!]!;
      const settings = parserOf<{ settings: { protocolVersion?: number; password?: unknown } }>(connected)!.settings;
      expect(settings.protocolVersion).toBe(4);
      expect(settings.password).toBeUndefined();
      await client.publishAsync('users/ana/events', '{}', { qos: 1 }); // the connection still works
    } finally {
      await client.endAsync();
      await broker.close();
    }
  });
});
