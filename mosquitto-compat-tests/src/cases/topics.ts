import { defineCases } from '../harness.js';
import { sleep } from '../raw-client.js';
import { ack, assert, expectClosed, expectNoPublish, expectOpen, frame, nextPublish, publish, subscribe, subscribeBytes, u16, str } from './util.js';

export const topicCases = defineCases([
  {
    id: 'wild-plus',
    title: '"+" matches exactly one level [MQTT-4.7.1-3]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('+/c'), 0]]);
      const pub = await t.connected();
      await publish(pub, t.topic('b/d/c'), 'no');
      await publish(pub, t.topic('b/c'), 'yes');
      const p = await nextPublish(sub);
      assert.equal(p.topic, t.topic('b/c'));
      await expectNoPublish(sub, 300);
    },
  },
  {
    id: 'wild-hash',
    title: '"#" matches any number of levels below [MQTT-4.7.1-2]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('#'), 0]]);
      const pub = await t.connected();
      await publish(pub, t.topic('a/b/c'), 'deep');
      assert.equal((await nextPublish(sub)).topic, t.topic('a/b/c'));
    },
  },
  {
    id: 'wild-hash-parent',
    title: '"foo/#" also matches "foo" itself [MQTT-4.7.1-2]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('foo/#'), 0]]);
      const pub = await t.connected();
      await publish(pub, t.topic('foo'), 'parent');
      assert.equal((await nextPublish(sub)).topic, t.topic('foo'));
    },
  },
  {
    id: 'wild-empty-level',
    title: '"+" matches an empty level ("a//b" by "a/+/b") [MQTT-4.7.1-3]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('a/+/b'), 0]]);
      const pub = await t.connected();
      await publish(pub, t.topic('a//b'), 'empty');
      assert.equal((await nextPublish(sub)).topic, t.topic('a//b'));
    },
  },
  {
    id: 'wild-trailing-slash',
    title: '"a/+" matches "a/" (an empty last level) [MQTT-4.7.1-3]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('a/+'), 0]]);
      const pub = await t.connected();
      await publish(pub, t.topic('a/'), 'trail');
      assert.equal((await nextPublish(sub)).topic, t.topic('a/'));
    },
  },
  {
    id: 'wild-dollar-hash',
    title: '"#" does not match topics beginning with "$" [MQTT-4.7.2-1]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [['#', 0]]);
      const pub = await t.connected();
      const dollar = `$${t.topic()}`;
      await publish(pub, dollar, 'hidden');
      await publish(pub, t.topic('visible'), 'shown');
      // `#` also brings every retained message on the broker; skip those.
      let p = await nextPublish(sub);
      while (p.topic !== t.topic('visible')) {
        assert.equal(p.topic.startsWith('$'), false, `# delivered ${p.topic}`);
        p = await nextPublish(sub);
      }
      await sleep(100);
      assert.equal(sub.peek('publish').some((x) => (x as { topic: string }).topic === dollar), false);
    },
  },
  {
    id: 'wild-dollar-plus',
    title: '"+/…" does not match topics beginning with "$" [MQTT-4.7.2-1]',
    async run(t) {
      const sub = await t.connected();
      const rest = t.topic().split('/').slice(1).join('/');
      await subscribe(sub, [[`+/${rest}`, 0]]);
      const pub = await t.connected();
      await publish(pub, `$ct/${rest}`, 'hidden');
      await publish(pub, `ct/${rest}`, 'shown');
      assert.equal((await nextPublish(sub)).topic, `ct/${rest}`);
      await expectNoPublish(sub, 300);
    },
  },
  {
    id: 'wild-dollar-explicit',
    title: 'a filter naming the "$" level explicitly does match it [MQTT-4.7.2-1]',
    async run(t) {
      const sub = await t.connected();
      const dollar = `$${t.topic()}`;
      await subscribe(sub, [[`${dollar.split('/')[0]}/#`, 0]]);
      const pub = await t.connected();
      await publish(pub, dollar, 'seen');
      assert.equal((await nextPublish(sub)).topic, dollar);
    },
  },
  {
    id: 'wild-case-sensitive',
    title: 'topic matching is case-sensitive, with no normalization [MQTT-4.7.3-4]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('Abc'), 0]]);
      const pub = await t.connected();
      await publish(pub, t.topic('abc'), 'lower');
      await publish(pub, t.topic('Abc'), 'upper');
      assert.equal(String((await nextPublish(sub)).payload), 'upper');
      await expectNoPublish(sub, 200);
    },
  },
  {
    id: 'wild-hash-not-last',
    title: 'a filter with "#" not as the last level is invalid: the connection is closed [MQTT-4.7.1-2] [MQTT-4.8.0-1]',
    async run(t) {
      const sub = await t.connected();
      sub.sendBytes(subscribeBytes([[t.topic('#/x'), 0]], 3));
      await expectClosed(sub);
    },
  },
  {
    id: 'wild-plus-partial-level',
    title: 'a filter with "+" sharing a level ("a+") is invalid: the connection is closed [MQTT-4.7.1-3] [MQTT-4.8.0-1]',
    async run(t) {
      const sub = await t.connected();
      sub.sendBytes(subscribeBytes([[t.topic('x+'), 0]], 3));
      await expectClosed(sub);
    },
  },
  {
    id: 'sub-suback',
    title: 'SUBACK carries the SUBSCRIBE packet id and one return code per filter, in order [MQTT-3.8.4-1] [MQTT-3.8.4-2] [MQTT-3.8.4-5] [MQTT-3.9.3-1]',
    async run(t) {
      const sub = await t.connected();
      const granted = await subscribe(sub, [[t.topic('a'), 2], [t.topic('b'), 0], [t.topic('c'), 1]], 777);
      assert.deepEqual(granted, [2, 0, 1]);
    },
  },
  {
    id: 'sub-denied',
    title: 'a subscription the policy refuses gets SUBACK 0x80 and the connection stays open [MQTT-3.8.4-5] [MQTT-3.9.3-2]',
    async run(t) {
      const sub = await t.connected();
      assert.deepEqual(await subscribe(sub, [[t.target.deniedTopic, 0]]), [0x80]);
      await expectOpen(sub);
    },
  },
  {
    id: 'sub-denied-mixed',
    title: 'one refused filter among several gets 0x80 while the others are granted [MQTT-3.8.4-4] [MQTT-3.8.4-5]',
    async run(t) {
      const sub = await t.connected();
      assert.deepEqual(await subscribe(sub, [[t.topic('ok1'), 1], [t.target.deniedTopic, 1], [t.topic('ok2'), 2]]), [1, 0x80, 2]);
      const pub = await t.connected();
      await publish(pub, t.topic('ok2'), 'granted', { qos: 1 });
      const p = await nextPublish(sub, t.topic('ok2'));
      await ack(sub, p);
    },
  },
  {
    id: 'sub-denied-publish-allowed',
    title: 'a topic refused for subscription can still be published to [MQTT-3.3.5-2]',
    async run(t) {
      const pub = await t.connected();
      await publish(pub, t.target.deniedTopic, 'allowed', { qos: 1 });
      await expectOpen(pub);
    },
  },
  {
    id: 'sub-replace',
    title: 'a SUBSCRIBE identical to an existing filter replaces it: one copy at the new QoS [MQTT-3.8.4-3]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 1]]);
      await subscribe(sub, [[t.topic(), 0]]);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'replaced', { qos: 1 });
      assert.equal((await nextPublish(sub, t.topic())).qos, 0);
      await expectNoPublish(sub, 300);
    },
  },
  {
    id: 'sub-overlapping',
    title: 'overlapping subscriptions deliver the message at the highest matching QoS [MQTT-3.3.5-1]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('#'), 0], [t.topic('x'), 1]]);
      const pub = await t.connected();
      await publish(pub, t.topic('x'), 'both', { qos: 1 });
      const copies = [await nextPublish(sub, t.topic('x'))];
      const more = await nextPublish(sub, t.topic('x'), 300).catch(() => null);
      if (more) copies.push(more);
      assert.ok(copies.some((p) => p.qos === 1), `QoS delivered: ${copies.map((p) => p.qos).join(',')}`);
      for (const p of copies) await ack(sub, p);
    },
  },
  {
    id: 'sub-no-filters',
    title: 'a SUBSCRIBE with no topic filter is a protocol violation: the connection is closed [MQTT-3.8.3-3]',
    async run(t) {
      const sub = await t.connected();
      sub.sendBytes(frame(0x82, u16(9)));
      await expectClosed(sub);
    },
  },
  {
    id: 'sub-bad-flags',
    title: 'a SUBSCRIBE whose fixed-header flags are not 0010 closes the connection [MQTT-3.8.1-1]',
    async run(t) {
      const sub = await t.connected();
      sub.sendBytes(subscribeBytes([[t.topic(), 0]], 4, 0x80));
      await expectClosed(sub);
    },
  },
  {
    id: 'sub-reserved-qos-bits',
    title: 'a requested QoS of 3 is malformed: the connection is closed [MQTT-3.8.3-4]',
    async run(t) {
      const sub = await t.connected();
      sub.sendBytes(subscribeBytes([[t.topic(), 3]], 4));
      await expectClosed(sub);
    },
  },
  {
    id: 'unsub-stops-delivery',
    title: 'UNSUBSCRIBE is answered with UNSUBACK (same id) and stops delivery [MQTT-3.10.4-2] [MQTT-3.10.4-4]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic(), 0]]);
      sub.send({ cmd: 'unsubscribe', messageId: 555, unsubscriptions: [t.topic()] });
      assert.equal((await sub.next('unsuback')).messageId, 555);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'gone', { qos: 1 });
      await expectNoPublish(sub, 400);
    },
  },
  {
    id: 'unsub-unknown',
    title: 'UNSUBSCRIBE of a filter that is not subscribed still gets UNSUBACK [MQTT-3.10.4-5]',
    async run(t) {
      const sub = await t.connected();
      sub.send({ cmd: 'unsubscribe', messageId: 556, unsubscriptions: [t.topic('never')] });
      assert.equal((await sub.next('unsuback')).messageId, 556);
    },
  },
  {
    id: 'unsub-exact-match',
    title: 'UNSUBSCRIBE compares filters character by character: "a/+" does not remove "a/b" [MQTT-3.10.4-1]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('a/b'), 0]]);
      sub.send({ cmd: 'unsubscribe', messageId: 557, unsubscriptions: [t.topic('a/+')] });
      await sub.next('unsuback');
      const pub = await t.connected();
      await publish(pub, t.topic('a/b'), 'still');
      assert.equal(String((await nextPublish(sub)).payload), 'still');
    },
  },
  {
    id: 'unsub-multiple',
    title: 'an UNSUBSCRIBE with several filters gets a single UNSUBACK [MQTT-3.10.4-6]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('a'), 0], [t.topic('b'), 0]]);
      sub.send({ cmd: 'unsubscribe', messageId: 558, unsubscriptions: [t.topic('a'), t.topic('b')] });
      await sub.next('unsuback');
      const extra = await sub.next('unsuback', 300).catch(() => null);
      assert.equal(extra, null);
      const pub = await t.connected();
      await publish(pub, t.topic('a'), 'x');
      await publish(pub, t.topic('b'), 'y');
      await expectNoPublish(sub, 300);
    },
  },
  {
    id: 'unsub-bad-flags',
    title: 'an UNSUBSCRIBE whose fixed-header flags are not 0010 closes the connection [MQTT-3.10.1-1]',
    async run(t) {
      const sub = await t.connected();
      sub.sendBytes(frame(0xa0, [...u16(12), ...str(t.topic())]));
      await expectClosed(sub);
    },
  },
]);
