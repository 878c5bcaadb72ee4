import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import mqttPacket from 'mqtt-packet';
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
  it('keeps no CONNECT packet (the token and its read chunk) once a client is authenticated', async () => {
    const broker = await createBroker({ tokens, rateLimits: false, sysIntervalMs: 0 });
    const { port } = await broker.listen({ port: 0 });
    const a = await as(port, 'device', 'ai-w1', ['ana']);
    const b = await as(port, 'device', 'ai-w2', ['bea']);
    try {
      const parserSettings = (c: typeof a) => parserOf<{ settings: Record<string, unknown> }>(clientsOf(aedesOf(broker))[c.options.clientId!]!)!.settings;
      const settings = parserSettings(a);
      expect(settings).toEqual({ protocolVersion: 4, bridgeMode: false });
      expect(settings.password).toBeUndefined();
      expect(settings.username).toBeUndefined();
      // One shared object per protocol version, not one per connection.
      expect(parserSettings(b)).toBe(settings);
      await a.publishAsync('users/ana/events', '{}', { qos: 1 }); // the connection still works
    } finally {
      await Promise.all([a.endAsync(), b.endAsync()]);
      await broker.close();
    }
  });

  // [issue 17 §2] A Packet allocated after each packet waited for the next one, was promoted and died in old space.
  it('holds no packet between packets, and parses every packet after that into a fresh one', async () => {
    const broker = await createBroker({ tokens, rateLimits: false, sysIntervalMs: 0 });
    const { port } = await broker.listen({ port: 0 });
    const device = await as(port, 'device', 'ai-w3', ['ana']);
    try {
      const parser = parserOf<{ packet: object }>(clientsOf(aedesOf(broker))[device.options.clientId!]!)!;
      const payloads: string[] = [];
      aedesOf(broker).on('publish', (p, c) => void (c?.id === device.options.clientId && payloads.push(p.payload.toString())));
      await device.publishAsync('users/ana/events', '{"n":1}', { qos: 1 });
      const idle = parser.packet;
      expect(idle).toEqual({ length: -1 });
      expect(Object.isFrozen(idle)).toBe(true);
      // Two PUBLISHes and a PINGREQ in one write: each is parsed whole into its own packet.
      const publish = (n: number) => mqttPacket.generate({ cmd: 'publish', topic: 'users/ana/events', payload: `{"n":${n}}`, qos: 0, retain: false, dup: false });
      const pong = new Promise<void>((resolve) => device.on('packetreceive', (p) => p.cmd === 'pingresp' && resolve()));
      device.stream.write(Buffer.concat([publish(2), publish(3), mqttPacket.generate({ cmd: 'pingreq' })]));
      await pong;
      await expect.poll(() => payloads).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
      expect(parser.packet).toBe(idle);
      // The parser's bytes sit in a plain list, not a stream; a packet cut across reads is kept whole.
      const list = (parser as unknown as { _list: { length: number; on?: unknown } })._list;
      expect(list.on).toBeUndefined();
      const cut = publish(4);
      device.stream.write(cut.subarray(0, 7));
      await new Promise((r) => setTimeout(r, 50));
      expect(list.length).toBe(5); // the 2-byte fixed header is consumed, the rest waits
      expect(parser.packet).not.toBe(idle);
      device.stream.write(cut.subarray(7));
      await expect.poll(() => payloads).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}']);
      expect(parser.packet).toBe(idle);
      expect(list.length).toBe(0);
      // A parser of another owner (an mqtt.js client in this process) keeps mqtt-packet's behaviour.
      const other = mqttPacket.parser();
      expect(Object.getPrototypeOf(other)).toBe(Object.getPrototypeOf(parser));
      const parsed: unknown[] = [];
      other.on('packet', (p) => parsed.push(p));
      other.parse(publish(5));
      expect(parsed).toHaveLength(1);
      expect((other as unknown as { packet: object }).packet).not.toBe(idle);
      expect((other as unknown as { packet: object }).packet).toMatchObject({ length: -1, cmd: null });
    } finally {
      await device.endAsync();
      await broker.close();
    }
  });
});
