import type { IPublishPacket } from 'mqtt-packet';
import { defineCases } from '../harness.js';
import { ack, assert, expectClosed, expectNoPublish, nextPublish, publish, publishBytes, subscribe, u16, frame } from './util.js';

export const qosCases = defineCases([
  {
    id: 'qos0-delivery',
    title: 'QoS 0 is delivered at QoS 0 with DUP 0 and no acknowledgement [MQTT-4.3.1-1] [MQTT-3.3.1-2]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 2]]);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'zero');
      const p = await nextPublish(sub, t.topic());
      assert.equal(p.qos, 0);
      assert.equal(p.dup, false);
      assert.equal(String(p.payload), 'zero');
    },
  },
  {
    id: 'qos1-puback',
    title: 'a QoS 1 PUBLISH is answered with PUBACK carrying its packet id [MQTT-4.3.2-2]',
    async run(t) {
      const pub = await t.connected();
      pub.send({ cmd: 'publish', topic: t.topic(), payload: 'one', qos: 1, messageId: 4242, retain: false, dup: false });
      const a = await pub.next('puback');
      assert.equal(a.messageId, 4242);
    },
  },
  {
    id: 'qos1-delivery',
    title: 'QoS 1 is delivered at QoS 1 with a non-zero packet id [MQTT-4.3.2-1] [MQTT-2.3.1-1]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 1]]);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'one', { qos: 1 });
      const p = await nextPublish(sub, t.topic());
      assert.equal(p.qos, 1);
      assert.ok((p.messageId ?? 0) > 0);
      await ack(sub, p);
    },
  },
  {
    id: 'qos1-id-reuse-after-puback',
    title: 'after PUBACK, a PUBLISH reusing the packet id is a new message [MQTT-4.3.2-2]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 0]]);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'a', { qos: 1, messageId: 7 });
      await publish(pub, t.topic(), 'b', { qos: 1, messageId: 7 });
      assert.equal(String((await nextPublish(sub, t.topic())).payload), 'a');
      assert.equal(String((await nextPublish(sub, t.topic())).payload), 'b');
    },
  },
  {
    id: 'qos2-flow',
    title: 'a QoS 2 PUBLISH gets PUBREC, and PUBREL gets PUBCOMP, with the same packet id [MQTT-4.3.3-2]',
    async run(t) {
      const pub = await t.connected();
      pub.send({ cmd: 'publish', topic: t.topic(), payload: 'two', qos: 2, messageId: 99, retain: false, dup: false });
      assert.equal((await pub.next('pubrec')).messageId, 99);
      pub.send({ cmd: 'pubrel', messageId: 99 });
      assert.equal((await pub.next('pubcomp')).messageId, 99);
    },
  },
  {
    id: 'qos2-dup-not-redelivered',
    title: 'a QoS 2 PUBLISH resent with DUP before PUBREL gets PUBREC again and is delivered once [MQTT-4.3.3-2] [MQTT-3.3.1-1]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 2]]);
      const pub = await t.connected();
      const base = { cmd: 'publish' as const, topic: t.topic(), payload: 'once', qos: 2 as const, messageId: 321, retain: false };
      pub.send({ ...base, dup: false });
      await pub.next('pubrec');
      pub.send({ ...base, dup: true });
      assert.equal((await pub.next('pubrec')).messageId, 321);
      pub.send({ cmd: 'pubrel', messageId: 321 });
      await pub.next('pubcomp');
      const first = await nextPublish(sub, t.topic());
      await ack(sub, first);
      await expectNoPublish(sub, 500, t.topic());
    },
  },
  {
    id: 'qos2-outbound-flow',
    title: 'to a QoS 2 subscriber the server sends PUBLISH, answers PUBREC with PUBREL, and accepts PUBCOMP [MQTT-4.3.3-1]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 2]]);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'two', { qos: 2 });
      const p = await nextPublish(sub, t.topic());
      assert.equal(p.qos, 2);
      sub.send({ cmd: 'pubrec', messageId: p.messageId! });
      const rel = await sub.next('pubrel');
      assert.equal(rel.messageId, p.messageId);
      sub.send({ cmd: 'pubcomp', messageId: p.messageId! });
      await expectNoPublish(sub, 300);
    },
  },
  {
    id: 'qos-downgrade',
    title: 'a QoS 1 message to a QoS 0 subscription is delivered at QoS 0 [MQTT-3.8.4-6]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 0]]);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'down', { qos: 1 });
      assert.equal((await nextPublish(sub, t.topic())).qos, 0);
    },
  },
  {
    id: 'qos-downgrade-wildcard',
    title: 'a QoS 2 message to a QoS 1 wildcard subscription is delivered at QoS 1 [MQTT-3.8.4-6]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('+'), 1]]);
      const pub = await t.connected();
      await publish(pub, t.topic('x'), 'down', { qos: 2 });
      const p = await nextPublish(sub, t.topic('x'));
      assert.equal(p.qos, 1);
      await ack(sub, p);
    },
  },
  {
    id: 'qos-ordering',
    title: 'QoS 1 messages from one publisher arrive in the order sent [MQTT-4.6.0-6]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 1]]);
      const pub = await t.connected();
      for (let i = 0; i < 10; i++) await publish(pub, t.topic(), `m${i}`, { qos: 1 });
      const got: string[] = [];
      for (let i = 0; i < 10; i++) {
        const p: IPublishPacket = await nextPublish(sub, t.topic());
        got.push(String(p.payload));
        await ack(sub, p);
      }
      assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `m${i}`));
    },
  },
  {
    id: 'publish-qos3',
    title: 'a PUBLISH with both QoS bits set closes the connection [MQTT-3.3.1-4]',
    async run(t) {
      const pub = await t.connected();
      pub.sendBytes(publishBytes(t.topic(), 'bad', 0x06, 5));
      await expectClosed(pub);
    },
  },
  {
    id: 'publish-wildcard-topic',
    title: 'a PUBLISH to a topic name containing a wildcard closes the connection [MQTT-3.3.2-2]',
    async run(t) {
      const pub = await t.connected();
      pub.sendBytes(publishBytes(`${t.topic()}/+`, 'bad'));
      await expectClosed(pub);
    },
  },
  {
    id: 'publish-qos1-id-zero',
    title: 'a QoS 1 PUBLISH with packet id 0 closes the connection [MQTT-2.3.1-1]',
    async run(t) {
      const pub = await t.connected();
      pub.sendBytes(publishBytes(t.topic(), 'bad', 0x02, 0));
      await expectClosed(pub);
    },
  },
  {
    id: 'pubrel-bad-flags',
    title: 'a PUBREL whose fixed-header flags are not 0010 closes the connection [MQTT-3.6.1-1]',
    async run(t) {
      const pub = await t.connected();
      pub.sendBytes(frame(0x60, u16(12)));
      await expectClosed(pub);
    },
  },
]);
