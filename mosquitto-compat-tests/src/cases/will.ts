import { defineCases } from '../harness.js';
import { sleep } from '../raw-client.js';
import { ack, assert, expectNoPublish, nextPublish, subscribe } from './util.js';

export const willCases = defineCases([
  {
    id: 'will-on-socket-drop',
    title: 'the will is published when the network connection drops without DISCONNECT [MQTT-3.1.2-8]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('will'), 0]]);
      const dev = await t.connected({ will: { topic: t.topic('will'), payload: Buffer.from('gone'), qos: 0, retain: false } });
      dev.drop();
      assert.equal(String((await nextPublish(sub, t.topic('will'))).payload), 'gone');
    },
  },
  {
    id: 'will-on-keepalive-expiry',
    title: 'the will is published when the server closes a connection for keepalive expiry [MQTT-3.1.2-8] [MQTT-3.1.2-24]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('will'), 0]]);
      await t.connected({ keepalive: 1, will: { topic: t.topic('will'), payload: Buffer.from('timeout'), qos: 0, retain: false } });
      // Mosquitto 2.0.11 notices the expiry only at its next keepalive check (4.4–7 s seen on a loaded machine).
      assert.equal(String((await nextPublish(sub, t.topic('will'), 12_000)).payload), 'timeout');
    },
  },
  {
    id: 'will-not-after-disconnect',
    title: 'no will is published after a DISCONNECT [MQTT-3.14.4-3] [MQTT-3.1.2-10]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('will'), 0]]);
      const dev = await t.connected({ will: { topic: t.topic('will'), payload: Buffer.from('no'), qos: 0, retain: false } });
      dev.disconnect();
      await expectNoPublish(sub, 600);
    },
  },
  {
    id: 'will-on-takeover',
    title: 'the will of a connection closed by a client-id takeover is published [MQTT-3.1.4-2] [MQTT-3.1.2-8]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('will'), 0]]);
      const id = t.clientId();
      await t.connected({ clientId: id, will: { topic: t.topic('will'), payload: Buffer.from('taken over'), qos: 0, retain: false } });
      await t.connected({ clientId: id });
      assert.equal(String((await nextPublish(sub, t.topic('will'))).payload), 'taken over');
    },
  },
  {
    id: 'will-retain',
    title: 'a will with Will Retain 1 is published as a retained message [MQTT-3.1.2-17]',
    async run(t) {
      const dev = await t.connected({ will: { topic: t.topic('will'), payload: Buffer.from('retained will'), qos: 1, retain: true } });
      dev.drop();
      await sleep(300);
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('will'), 1]]);
      const p = await nextPublish(sub, t.topic('will'));
      assert.equal(String(p.payload), 'retained will');
      assert.equal(p.retain, true);
      await ack(sub, p);
    },
  },
  {
    id: 'will-not-retained',
    title: 'a will with Will Retain 0 is published as a non-retained message [MQTT-3.1.2-16]',
    async run(t) {
      const dev = await t.connected({ will: { topic: t.topic('will'), payload: Buffer.from('plain'), qos: 0, retain: false } });
      dev.drop();
      await sleep(300);
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('will'), 0]]);
      await expectNoPublish(sub, 400);
    },
  },
  {
    id: 'will-qos',
    title: 'a will with Will QoS 2 reaches a QoS 2 subscriber at QoS 2 [MQTT-3.1.2-9] [MQTT-3.1.2-14]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('will'), 2]]);
      const dev = await t.connected({ will: { topic: t.topic('will'), payload: Buffer.from('q2'), qos: 2, retain: false } });
      dev.drop();
      const p = await nextPublish(sub, t.topic('will'));
      assert.equal(p.qos, 2);
      await ack(sub, p);
    },
  },
  {
    id: 'will-qos-downgraded',
    title: 'a QoS 1 will to a QoS 0 subscriber arrives at QoS 0 [MQTT-3.8.4-6]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('will'), 0]]);
      const dev = await t.connected({ will: { topic: t.topic('will'), payload: Buffer.from('q1'), qos: 1, retain: false } });
      dev.drop();
      assert.equal((await nextPublish(sub, t.topic('will'))).qos, 0);
    },
  },
  {
    id: 'will-absent',
    title: 'without a will flag nothing is published when the connection drops [MQTT-3.1.2-12]',
    async run(t) {
      const sub = await t.connected();
      await subscribe(sub, [[t.topic('#'), 0]]);
      const dev = await t.connected();
      dev.drop();
      await expectNoPublish(sub, 500);
    },
  },
]);
