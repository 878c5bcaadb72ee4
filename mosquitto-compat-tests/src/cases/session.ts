import type { IPublishPacket } from 'mqtt-packet';
import { defineCases } from '../harness.js';
import { sleep } from '../raw-client.js';
import { ack, assert, expectNoPublish, expectOpen, nextPublish, publish, subscribe } from './util.js';

export const sessionCases = defineCases([
  {
    id: 'session-clean-present0',
    title: 'clean session 1 gets session present 0 [MQTT-3.2.2-1]',
    async run(t) {
      const id = t.clientId();
      const a = await t.raw();
      await a.connect({ clientId: id, clean: false });
      a.disconnect();
      await sleep(100);
      const b = await t.raw();
      const connack = await b.connect({ clientId: id, clean: true });
      assert.equal(connack.sessionPresent, false);
    },
  },
  {
    id: 'session-new-present0',
    title: 'clean session 0 with no stored session gets session present 0 [MQTT-3.2.2-3]',
    async run(t) {
      const r = await t.raw();
      const connack = await r.connect({ clientId: t.clientId(), clean: false });
      assert.equal(connack.returnCode, 0);
      assert.equal(connack.sessionPresent, false);
    },
  },
  {
    id: 'session-resume-present1',
    title: 'clean session 0 with a stored session gets session present 1 [MQTT-3.2.2-2]',
    async run(t) {
      const id = t.clientId();
      const a = await t.raw();
      await a.connect({ clientId: id, clean: false });
      await subscribe(a, [[t.topic(), 1]]);
      a.disconnect();
      await sleep(150);
      const b = await t.raw();
      const connack = await b.connect({ clientId: id, clean: false });
      assert.equal(connack.sessionPresent, true);
    },
  },
  {
    id: 'session-subscriptions-kept',
    title: 'a resumed session keeps its subscriptions [MQTT-3.1.2-4]',
    async run(t) {
      const id = t.clientId();
      const a = await t.raw();
      await a.connect({ clientId: id, clean: false });
      await subscribe(a, [[t.topic(), 1]]);
      a.disconnect();
      await sleep(150);
      const b = await t.raw();
      await b.connect({ clientId: id, clean: false });
      const pub = await t.connected();
      await publish(pub, t.topic(), 'after-resume', { qos: 1 });
      const p = await nextPublish(b, t.topic());
      assert.equal(String(p.payload), 'after-resume');
    },
  },
  {
    id: 'session-clean-discards',
    title: 'clean session 1 discards the previous session and its subscriptions [MQTT-3.1.2-6]',
    async run(t) {
      const id = t.clientId();
      const a = await t.raw();
      await a.connect({ clientId: id, clean: false });
      await subscribe(a, [[t.topic(), 1]]);
      a.disconnect();
      await sleep(150);
      const b = await t.raw();
      await b.connect({ clientId: id, clean: true });
      b.disconnect();
      await sleep(150);
      const c = await t.raw();
      const connack = await c.connect({ clientId: id, clean: false });
      assert.equal(connack.sessionPresent, false);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'x', { qos: 1 });
      await expectNoPublish(c, 400);
    },
  },
  {
    id: 'session-offline-queue',
    title: 'QoS 1 and 2 messages published while a persistent client is offline are queued and delivered in order [MQTT-3.1.2-5] [MQTT-4.6.0-6]',
    async run(t) {
      const id = t.clientId();
      const a = await t.raw();
      await a.connect({ clientId: id, clean: false });
      await subscribe(a, [[t.topic(), 2]]);
      a.disconnect();
      await sleep(150);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'm1', { qos: 1 });
      await publish(pub, t.topic(), 'm2', { qos: 2 });
      await publish(pub, t.topic(), 'm3', { qos: 1 });
      const b = await t.raw();
      const connack = await b.connect({ clientId: id, clean: false });
      assert.equal(connack.sessionPresent, true);
      const got: string[] = [];
      for (let i = 0; i < 3; i++) {
        const p = await nextPublish(b, t.topic());
        got.push(String(p.payload));
        await ack(b, p);
      }
      assert.deepEqual(got, ['m1', 'm2', 'm3']);
    },
  },
  {
    id: 'session-offline-qos0-not-required',
    title: 'a QoS 0 subscription gets messages published while online only after reconnect at QoS 0 or not at all, never upgraded [MQTT-3.8.4-6]',
    async run(t) {
      const id = t.clientId();
      const a = await t.raw();
      await a.connect({ clientId: id, clean: false });
      await subscribe(a, [[t.topic(), 0]]);
      a.disconnect();
      await sleep(150);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'offline', { qos: 1 });
      const b = await t.raw();
      await b.connect({ clientId: id, clean: false });
      const p = await nextPublish(b, t.topic(), 600).catch(() => null);
      if (p) assert.equal(p.qos, 0);
    },
  },
  {
    id: 'session-redelivery-dup',
    title: 'an unacknowledged QoS 1 message is resent on reconnect with DUP 1 and the same packet id [MQTT-4.4.0-1] [MQTT-3.3.1-1]',
    async run(t) {
      const id = t.clientId();
      const a = await t.raw();
      await a.connect({ clientId: id, clean: false });
      await subscribe(a, [[t.topic(), 1]]);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'unacked', { qos: 1 });
      const first = await nextPublish(a, t.topic());
      assert.equal(first.dup, false);
      a.drop();
      await sleep(200);
      const b = await t.raw();
      await b.connect({ clientId: id, clean: false });
      const again = await nextPublish(b, t.topic());
      assert.equal(String(again.payload), 'unacked');
      assert.equal(again.messageId, first.messageId);
      assert.equal(again.dup, true);
      await ack(b, again);
    },
  },
  {
    id: 'session-redelivery-pubrel',
    title: 'a QoS 2 flow interrupted after PUBREC resumes with PUBREL on reconnect [MQTT-4.4.0-1]',
    async run(t) {
      const id = t.clientId();
      const a = await t.raw();
      await a.connect({ clientId: id, clean: false });
      await subscribe(a, [[t.topic(), 2]]);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'q2', { qos: 2 });
      const p = await nextPublish(a, t.topic());
      a.send({ cmd: 'pubrec', messageId: p.messageId! });
      await a.next('pubrel');
      a.drop();
      await sleep(200);
      const b = await t.raw();
      await b.connect({ clientId: id, clean: false });
      const rel = await b.next('pubrel');
      assert.equal(rel.messageId, p.messageId);
      b.send({ cmd: 'pubcomp', messageId: p.messageId! });
      await expectNoPublish(b, 300, t.topic());
    },
  },
  {
    id: 'session-takeover-keeps-session',
    title: 'a takeover with clean session 0 resumes the session: session present 1 and the subscription still delivers [MQTT-3.1.4-2] [MQTT-3.2.2-2]',
    async run(t) {
      const id = t.clientId();
      const a = await t.raw();
      await a.connect({ clientId: id, clean: false });
      await subscribe(a, [[t.topic(), 1]]);
      const b = await t.raw();
      const connack = await b.connect({ clientId: id, clean: false });
      assert.equal(connack.sessionPresent, true);
      assert.equal(await a.waitClosed(2000), true);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'to-b', { qos: 1 });
      const p: IPublishPacket = await nextPublish(b, t.topic());
      assert.equal(String(p.payload), 'to-b');
    },
  },
  {
    id: 'session-clean-no-queue',
    title: 'a clean session ends with the connection: nothing is queued for it [MQTT-3.1.2-6]',
    async run(t) {
      const id = t.clientId();
      const a = await t.raw();
      await a.connect({ clientId: id, clean: true });
      await subscribe(a, [[t.topic(), 1]]);
      a.disconnect();
      await sleep(150);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'lost', { qos: 1 });
      const b = await t.raw();
      const connack = await b.connect({ clientId: id, clean: true });
      assert.equal(connack.sessionPresent, false);
      await expectNoPublish(b, 400);
      await expectOpen(b);
    },
  },
]);
