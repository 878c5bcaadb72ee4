import { defineCases } from '../harness.js';
import { sleep } from '../raw-client.js';
import { ack, assert, expectNoPublish, nextPublish, publish, subscribe } from './util.js';

export const retainedCases = defineCases([
  {
    id: 'retain-stored',
    title: 'a retained message is sent to a later subscriber with RETAIN 1 [MQTT-3.3.1-5] [MQTT-3.3.1-6] [MQTT-3.3.1-8]',
    async run(t) {
      const pub = await t.connected();
      await publish(pub, t.topic(), 'kept', { qos: 1, retain: true });
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 1]]);
      const p = await nextPublish(sub, t.topic());
      assert.equal(String(p.payload), 'kept');
      assert.equal(p.retain, true);
      await ack(sub, p);
    },
  },
  {
    id: 'retain-replaced',
    title: 'a new retained message replaces the previous one [MQTT-3.3.1-5]',
    async run(t) {
      const pub = await t.connected();
      await publish(pub, t.topic(), 'old', { qos: 1, retain: true });
      await publish(pub, t.topic(), 'new', { qos: 1, retain: true });
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 0]]);
      assert.equal(String((await nextPublish(sub, t.topic())).payload), 'new');
      await expectNoPublish(sub, 300);
    },
  },
  {
    id: 'retain-qos0-replaces',
    title: 'a QoS 0 retained message replaces a retained QoS 1 one [MQTT-3.3.1-7]',
    async run(t) {
      const pub = await t.connected();
      await publish(pub, t.topic(), 'q1', { qos: 1, retain: true });
      await publish(pub, t.topic(), 'q0', { qos: 0, retain: true });
      await sleep(100);
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 1]]);
      const p = await nextPublish(sub, t.topic());
      assert.equal(String(p.payload), 'q0');
      assert.equal(p.qos, 0);
    },
  },
  {
    id: 'retain-cleared',
    title: 'a retained message with an empty payload clears the retained message and is not stored [MQTT-3.3.1-10] [MQTT-3.3.1-11]',
    async run(t) {
      const pub = await t.connected();
      await publish(pub, t.topic(), 'soon gone', { qos: 1, retain: true });
      await publish(pub, t.topic(), '', { qos: 1, retain: true });
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 1]]);
      await expectNoPublish(sub, 400);
    },
  },
  {
    id: 'retain-live-flag0',
    title: 'a retained message sent to an existing subscription has RETAIN 0 [MQTT-3.3.1-9]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 0]]);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'live', { retain: true });
      const p = await nextPublish(sub, t.topic());
      assert.equal(p.retain, false);
    },
  },
  {
    id: 'retain-not-replaced-by-plain',
    title: 'a PUBLISH with RETAIN 0 neither stores nor replaces the retained message [MQTT-3.3.1-12]',
    async run(t) {
      const pub = await t.connected();
      await publish(pub, t.topic(), 'retained', { qos: 1, retain: true });
      await publish(pub, t.topic(), 'plain', { qos: 1 });
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 0]]);
      assert.equal(String((await nextPublish(sub, t.topic())).payload), 'retained');
    },
  },
  {
    id: 'retain-at-subscription-qos',
    title: 'a retained QoS 2 message is delivered at the subscription QoS (1) [MQTT-3.8.4-6]',
    async run(t) {
      const pub = await t.connected();
      await publish(pub, t.topic(), 'two', { qos: 2, retain: true });
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 1]]);
      const p = await nextPublish(sub, t.topic());
      assert.equal(p.qos, 1);
      await ack(sub, p);
    },
  },
  {
    id: 'retain-wildcard-at-subscription-qos',
    title: 'retained messages matched by a wildcard subscription are delivered at the subscription QoS (0) [MQTT-3.8.4-6] [MQTT-3.3.1-6]',
    async run(t) {
      const pub = await t.connected();
      await publish(pub, t.topic('a'), 'a', { qos: 1, retain: true });
      await publish(pub, t.topic('b'), 'b', { qos: 2, retain: true });
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('+'), 0]]);
      const got = [await nextPublish(sub), await nextPublish(sub)];
      assert.deepEqual(got.map((p) => String(p.payload)).sort(), ['a', 'b']);
      assert.deepEqual(got.map((p) => p.qos), [0, 0]);
    },
  },
  {
    id: 'retain-qos-lower-than-subscription',
    title: 'a retained QoS 0 message to a QoS 2 subscription stays QoS 0 [MQTT-3.8.4-6]',
    async run(t) {
      const pub = await t.connected();
      await publish(pub, t.topic(), 'zero', { qos: 0, retain: true });
      await sleep(100);
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 2]]);
      assert.equal((await nextPublish(sub, t.topic())).qos, 0);
    },
  },
  {
    id: 'retain-resubscribe',
    title: 'repeating an identical SUBSCRIBE re-sends the retained messages [MQTT-3.8.4-3]',
    async run(t) {
      const pub = await t.connected();
      await publish(pub, t.topic(), 'again', { qos: 1, retain: true });
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 0]]);
      await nextPublish(sub, t.topic());
      await subscribe(sub, [[t.topic(), 0]]);
      const p = await nextPublish(sub, t.topic());
      assert.equal(p.retain, true);
    },
  },
  {
    id: 'retain-survives-session',
    title: 'retained messages are not session state and survive the publisher session [MQTT-3.1.2-7]',
    async run(t) {
      const pub = await t.connected({ clean: true });
      await publish(pub, t.topic(), 'persist', { qos: 1, retain: true });
      pub.disconnect();
      await sleep(100);
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 0]]);
      assert.equal(String((await nextPublish(sub, t.topic())).payload), 'persist');
    },
  },
]);
