import type { IConnackPacket } from 'mqtt-packet';
import { defineCases } from '../harness.js';
import { sleep } from '../raw-client.js';
import { assert, connectBytes, expectClosed, expectNoPublish, expectOpen, str, subscribe } from './util.js';
import type { RawClient } from '../raw-client.js';

/** Resolves with the CONNACK return code, or null when the broker closed without one. */
async function connackOrClose(r: RawClient): Promise<number | null> {
  const ack = await r.next<IConnackPacket>('connack', 2000).catch(() => null);
  return ack ? (ack.returnCode ?? 0) : null;
}

export const connectCases = defineCases([
  {
    id: 'connect-accepted',
    title: 'a well-formed 3.1.1 CONNECT gets CONNACK 0 [MQTT-3.1.4-4] [MQTT-3.2.2-1]',
    async run(t) {
      const r = await t.raw();
      const ack = await r.connect({ clientId: t.clientId(), clean: true });
      assert.equal(ack.returnCode, 0);
      assert.equal(ack.sessionPresent, false);
    },
  },
  {
    id: 'connect-bad-protocol-name',
    title: 'a CONNECT with protocol name "MQTX" is not accepted and the connection is closed [MQTT-3.1.2-1]',
    async run(t) {
      const r = await t.raw();
      r.sendBytes(connectBytes({ protocolName: 'MQTX', clientId: t.clientId() }));
      const code = await connackOrClose(r);
      assert.notEqual(code, 0, 'must not accept');
      await expectClosed(r);
    },
  },
  {
    id: 'connect-bad-protocol-level',
    title: 'an unsupported protocol level (6) gets CONNACK 0x01 and the connection is closed [MQTT-3.1.2-2]',
    async run(t) {
      const r = await t.raw();
      r.sendBytes(connectBytes({ level: 6, clientId: t.clientId() }));
      assert.equal(await connackOrClose(r), 1);
      await expectClosed(r);
    },
  },
  {
    id: 'connect-reserved-flag',
    title: 'a CONNECT whose reserved flag bit is 1 closes the connection without CONNACK 0 [MQTT-3.1.2-3]',
    async run(t) {
      const r = await t.raw();
      r.sendBytes(connectBytes({ flags: 0x03, clientId: t.clientId() }));
      assert.notEqual(await connackOrClose(r), 0);
      await expectClosed(r);
    },
  },
  {
    id: 'connect-empty-id-clean',
    title: 'a zero-length client id with clean session 1 is accepted and assigned an id [MQTT-3.1.3-6]',
    async run(t) {
      const r = await t.raw();
      const ack = await r.connect({ clientId: '', clean: true });
      assert.equal(ack.returnCode, 0);
      await expectOpen(r);
    },
  },
  {
    id: 'connect-empty-id-persistent',
    title: 'a zero-length client id with clean session 0 gets CONNACK 0x02 and is closed [MQTT-3.1.3-8]',
    async run(t) {
      const r = await t.raw();
      r.sendBytes(connectBytes({ flags: 0x00, clientId: '' }));
      assert.equal(await connackOrClose(r), 2);
      await expectClosed(r);
    },
  },
  {
    id: 'connect-client-id-23',
    title: 'a 23-character [0-9a-zA-Z] client id is accepted [MQTT-3.1.3-5]',
    async run(t) {
      const r = await t.raw();
      const id = `Zz9${t.clientId()}xxxxxxxxxxxxxxxxxxxxxxx`.slice(0, 23);
      assert.equal(id.length, 23);
      const ack = await r.connect({ clientId: id });
      assert.equal(ack.returnCode, 0);
    },
  },
  {
    id: 'connect-second-connect',
    title: 'a second CONNECT on the same connection is a protocol violation: the connection is closed [MQTT-3.1.0-2]',
    async run(t) {
      const r = await t.connected();
      r.sendBytes(connectBytes({ clientId: t.clientId() }));
      await expectClosed(r);
    },
  },
  {
    id: 'connect-first-not-connect',
    title: 'a first packet that is not CONNECT (PINGREQ) closes the connection [MQTT-3.1.0-1]',
    async run(t) {
      const r = await t.raw();
      r.send({ cmd: 'pingreq' });
      await expectClosed(r);
      assert.equal(r.peek('pingresp').length, 0, 'no PINGRESP before CONNECT');
    },
  },
  {
    id: 'connect-first-publish',
    title: 'a PUBLISH before CONNECT closes the connection and is not delivered [MQTT-3.1.0-1]',
    async run(t) {
      const watcher = await t.connected();
      await subscribe(watcher, [[t.topic(), 0]]);
      const r = await t.raw();
      r.send({ cmd: 'publish', topic: t.topic(), payload: 'early', qos: 0, retain: false, dup: false });
      await expectClosed(r);
      await expectNoPublish(watcher, 300);
    },
  },
  {
    id: 'connect-keepalive-expiry',
    title: 'a client silent for 1.5 × its keepalive (1 s) is disconnected [MQTT-3.1.2-24]',
    async run(t) {
      const r = await t.connected({ keepalive: 1 });
      // Mosquitto 2.0.11 checks keepalives in its main loop: seen closing after 4.4–6 s on a loaded machine.
      await expectClosed(r, 12_000, 'disconnect after ~1.5 s of silence (Mosquitto checks keepalives every few seconds)');
    },
  },
  {
    id: 'connect-keepalive-pings',
    title: 'a client that sends PINGREQ within its keepalive stays connected [MQTT-3.1.2-23] [MQTT-3.12.4-1]',
    async run(t) {
      const r = await t.connected({ keepalive: 1 });
      for (let i = 0; i < 5; i++) {
        await sleep(500);
        r.send({ cmd: 'pingreq' });
        await r.next('pingresp');
      }
      assert.equal(r.closed, false);
    },
  },
  {
    id: 'connect-keepalive-zero',
    title: 'keepalive 0 turns the keepalive mechanism off: a silent client is not disconnected [MQTT-3.1.2-24]',
    async run(t) {
      const r = await t.connected({ keepalive: 0 });
      assert.equal(await r.waitClosed(2500), false);
    },
  },
  {
    id: 'connect-keepalive-max',
    title: 'the largest keepalive (65535 s) is accepted under an equal max_keepalive [MQTT-3.1.2-24]',
    async run(t) {
      const r = await t.raw();
      const ack = await r.connect({ clientId: t.clientId(), keepalive: 65535 });
      assert.equal(ack.returnCode, 0);
    },
  },
  {
    id: 'connect-pingresp',
    title: 'PINGREQ is answered with PINGRESP [MQTT-3.12.4-1]',
    async run(t) {
      const r = await t.connected();
      r.send({ cmd: 'pingreq' });
      await r.next('pingresp');
    },
  },
  {
    id: 'connect-will-qos3',
    title: 'a will QoS of 3 is malformed: the connection is closed without CONNACK 0 [MQTT-3.1.2-14]',
    async run(t) {
      const r = await t.raw();
      // flags: clean (0x02) | will (0x04) | will QoS 3 (0x18)
      r.sendBytes(connectBytes({ flags: 0x1e, clientId: t.clientId(), payloadTail: [...str('w/t'), ...str('bye')] }));
      assert.notEqual(await connackOrClose(r), 0);
      await expectClosed(r);
    },
  },
  {
    id: 'connect-will-flag0-qos1',
    title: 'will flag 0 with will QoS 1 is malformed: the connection is closed [MQTT-3.1.2-13]',
    async run(t) {
      const r = await t.raw();
      r.sendBytes(connectBytes({ flags: 0x0a, clientId: t.clientId() }));
      assert.notEqual(await connackOrClose(r), 0);
      await expectClosed(r);
    },
  },
  {
    id: 'connect-password-without-username',
    title: 'a password flag without the username flag is malformed: the connection is closed [MQTT-3.1.2-22]',
    async run(t) {
      const r = await t.raw();
      r.sendBytes(connectBytes({ flags: 0x42, clientId: t.clientId(), payloadTail: str('secret') }));
      assert.notEqual(await connackOrClose(r), 0);
      await expectClosed(r);
    },
  },
  {
    id: 'connect-takeover',
    title: 'a CONNECT with the client id of a connected client disconnects the existing one [MQTT-3.1.4-2]',
    async run(t) {
      const id = t.clientId();
      const first = await t.connected({ clientId: id });
      const second = await t.connected({ clientId: id });
      await expectClosed(first);
      await expectOpen(second);
    },
  },
]);
