import { defineCases } from '../harness.js';
import { assert, connectBytes, expectClosed, expectNoPublish, frame, nextPublish, publishBytes, str, subscribe, subscribeBytes } from './util.js';

const INVALID_UTF8 = Buffer.from([0x63, 0x74, 0x2f, 0xc3, 0x28]); // "ct/" + an invalid 2-byte sequence
const SURROGATE = Buffer.from([0x63, 0x74, 0x2f, 0xed, 0xa0, 0x80]); // "ct/" + an encoded UTF-16 surrogate (U+D800)

export const malformedCases = defineCases([
  {
    id: 'utf8-invalid-topic',
    title: 'a PUBLISH topic that is not well-formed UTF-8 closes the connection and is not delivered [MQTT-1.5.3-1] [MQTT-3.3.2-1]',
    async run(t) {
      const watcher = await t.connected();
      await subscribe(watcher, [[t.topic('#'), 0]]);
      const pub = await t.connected();
      pub.sendBytes(publishBytes(Buffer.concat([Buffer.from(t.topic('')), Buffer.from([0xc3, 0x28])]), 'x'));
      await expectClosed(pub);
      await expectNoPublish(watcher, 200);
    },
  },
  {
    id: 'utf8-surrogate-topic',
    title: 'a PUBLISH topic encoding a UTF-16 surrogate (U+D800) closes the connection [MQTT-1.5.3-1]',
    async run(t) {
      const pub = await t.connected();
      pub.sendBytes(publishBytes(SURROGATE, 'x'));
      await expectClosed(pub);
    },
  },
  {
    id: 'utf8-null-topic',
    title: 'a PUBLISH topic containing U+0000 closes the connection [MQTT-1.5.3-2] [MQTT-4.7.3-2]',
    async run(t) {
      const pub = await t.connected();
      pub.sendBytes(publishBytes(Buffer.from(`${t.topic()}\u0000x`), 'x'));
      await expectClosed(pub);
    },
  },
  {
    id: 'utf8-invalid-filter',
    title: 'a SUBSCRIBE filter that is not well-formed UTF-8 closes the connection [MQTT-1.5.3-1] [MQTT-3.8.3-1]',
    async run(t) {
      const sub = await t.connected();
      sub.sendBytes(subscribeBytes([[INVALID_UTF8, 0]], 5));
      await expectClosed(sub);
    },
  },
  {
    id: 'utf8-invalid-client-id',
    title: 'a CONNECT client id that is not well-formed UTF-8 is refused and closed [MQTT-1.5.3-1] [MQTT-3.1.3-4]',
    async run(t) {
      const r = await t.raw();
      r.sendBytes(connectBytes({ clientId: Buffer.from([0x61, 0xff, 0x62]) }));
      const ack = await r.next('connack', 1500).catch(() => null);
      assert.ok(ack === null || (ack as { returnCode?: number }).returnCode !== 0, 'must not be accepted');
      await expectClosed(r);
    },
  },
  {
    id: 'utf8-invalid-will-topic',
    title: 'a will topic that is not well-formed UTF-8 is refused and closed [MQTT-1.5.3-1] [MQTT-3.1.3-10]',
    async run(t) {
      const r = await t.raw();
      r.sendBytes(connectBytes({ flags: 0x06, clientId: t.clientId(), payloadTail: [...str(INVALID_UTF8), ...str('bye')] }));
      const ack = await r.next('connack', 1500).catch(() => null);
      assert.ok(ack === null || (ack as { returnCode?: number }).returnCode !== 0, 'must not be accepted');
      await expectClosed(r);
    },
  },
  {
    id: 'publish-empty-topic',
    title: 'a PUBLISH with a zero-length topic closes the connection [MQTT-4.7.3-1]',
    async run(t) {
      const pub = await t.connected();
      pub.sendBytes(publishBytes('', 'x'));
      await expectClosed(pub);
    },
  },
  {
    id: 'malformed-remaining-length',
    title: 'a remaining length of more than four bytes is malformed: the connection is closed [MQTT-4.8.0-1]',
    async run(t) {
      const pub = await t.connected();
      pub.sendBytes([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
      await expectClosed(pub);
    },
  },
  {
    id: 'malformed-reserved-type',
    title: 'a packet of reserved type 0 closes the connection [MQTT-4.8.0-1] [MQTT-2.2.2-1]',
    async run(t) {
      const pub = await t.connected();
      pub.sendBytes(frame(0x00, []));
      await expectClosed(pub);
    },
  },
  {
    id: 'malformed-disconnect-flags',
    title: 'a DISCONNECT with non-zero reserved bits is malformed: the connection is closed and the will is sent [MQTT-3.14.1-1] [MQTT-3.1.2-8]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('will'), 0]]);
      const dev = await t.connected({ will: { topic: t.topic('will'), payload: Buffer.from('bad disconnect'), qos: 0, retain: false } });
      dev.sendBytes([0xe1, 0x00]);
      await expectClosed(dev);
      assert.equal(String((await nextPublish(sub, t.topic('will'))).payload), 'bad disconnect');
    },
  },
]);
