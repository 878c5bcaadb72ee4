import type { IPublishPacket } from 'mqtt-packet';
import { defineCases, type CaseContext } from '../harness.js';
import { sleep, type RawClient } from '../raw-client.js';
import { ack, assert, expectNoPublish, nextPublish, publish, subscribe } from './util.js';

/**
 * `$share/<group>/<filter>`: MQTT 5 §4.8.2, which Mosquitto also serves to 3.1.1 clients.
 * Statements cited are MQTT 5.0's.
 */

async function members(t: CaseContext, n: number, filter: string, qos = 0, clean = true): Promise<RawClient[]> {
  const out: RawClient[] = [];
  for (let i = 0; i < n; i++) {
    const m = await t.connected({ clean });
    assert.deepEqual(await subscribe(m, [[filter, qos]]), [qos]);
    out.push(m);
  }
  return out;
}

async function drain(rs: RawClient[], ms = 400): Promise<IPublishPacket[][]> {
  await sleep(ms);
  return Promise.all(rs.map((r) => r.collect<IPublishPacket>('publish', 0)));
}

export const sharedCases = defineCases([
  {
    id: 'share-one-member-each',
    title: 'each message to a shared subscription goes to exactly one member of the group [MQTT-4.8.2-1] (MQTT 5 §4.8.2)',
    async run(t) {
      const ms = await members(t, 3, `$share/g/${t.topic('+')}`);
      const pub = await t.connected();
      for (let i = 0; i < 12; i++) await publish(pub, t.topic(`d${i}`), `m${i}`, { qos: 1 });
      const got = (await drain(ms)).flat().map((p) => String(p.payload)).sort();
      assert.deepEqual(got, Array.from({ length: 12 }, (_, i) => `m${i}`).sort());
    },
  },
  {
    id: 'share-round-robin',
    title: 'messages are spread over the members of a group (round-robin) (MQTT 5 §4.8.2)',
    async run(t) {
      const ms = await members(t, 2, `$share/rr/${t.topic()}`);
      const pub = await t.connected();
      for (let i = 0; i < 10; i++) await publish(pub, t.topic(), `m${i}`, { qos: 1 });
      const counts = (await drain(ms)).map((l) => l.length);
      assert.deepEqual(counts, [5, 5]);
    },
  },
  {
    id: 'share-groups-independent',
    title: 'each group gets its own copy of every message (MQTT 5 §4.8.2)',
    async run(t) {
      const [a] = await members(t, 1, `$share/ga/${t.topic()}`);
      const [b] = await members(t, 1, `$share/gb/${t.topic()}`);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'both', { qos: 1 });
      assert.equal(String((await nextPublish(a!)).payload), 'both');
      assert.equal(String((await nextPublish(b!)).payload), 'both');
    },
  },
  {
    id: 'share-and-plain-subscriber',
    title: 'a non-shared subscriber to the same filter still gets every message (MQTT 5 §4.8.2)',
    async run(t) {
      const ms = await members(t, 2, `$share/g/${t.topic()}`);
      const plain = await t.connected();
      await subscribe(plain, [[t.topic(), 0]]);
      const pub = await t.connected();
      for (let i = 0; i < 4; i++) await publish(pub, t.topic(), `m${i}`);
      const [shared, all] = await Promise.all([drain(ms), drain([plain])]);
      assert.equal(shared.flat().length, 4);
      assert.equal(all.flat().length, 4);
    },
  },
  {
    id: 'share-member-leaves',
    title: 'after a member disconnects, the remaining members get all messages (MQTT 5 §4.8.2)',
    async run(t) {
      const [a, b] = await members(t, 2, `$share/g/${t.topic()}`);
      a!.drop();
      await sleep(200);
      const pub = await t.connected();
      for (let i = 0; i < 4; i++) await publish(pub, t.topic(), `m${i}`, { qos: 1 });
      const [got] = await drain([b!]);
      assert.equal(got!.length, 4);
    },
  },
  {
    id: 'share-unsubscribe',
    title: 'a member that unsubscribes from the shared filter gets nothing more; the others get everything [MQTT-3.10.4-2] (MQTT 5 §4.8.2)',
    async run(t) {
      const filter = `$share/g/${t.topic()}`;
      const [a, b] = await members(t, 2, filter);
      a!.send({ cmd: 'unsubscribe', messageId: 11, unsubscriptions: [filter] });
      await a!.next('unsuback');
      const pub = await t.connected();
      for (let i = 0; i < 4; i++) await publish(pub, t.topic(), `m${i}`);
      const [ga, gb] = await drain([a!, b!]);
      assert.equal(ga!.length, 0);
      assert.equal(gb!.length, 4);
    },
  },
  {
    id: 'share-granted-qos',
    title: 'a shared subscription honours its granted QoS: a QoS 1 message to a QoS 0 member arrives at QoS 0 [MQTT-4.8.2-3]',
    async run(t) {
      const [a] = await members(t, 1, `$share/g/${t.topic()}`, 0);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'q', { qos: 1 });
      assert.equal((await nextPublish(a!)).qos, 0);
    },
  },
  {
    id: 'share-qos1-delivery',
    title: 'a QoS 1 shared subscription receives QoS 1 messages with a packet id (MQTT 5 §4.8.2) [MQTT-4.3.2-1]',
    async run(t) {
      const [a] = await members(t, 1, `$share/g/${t.topic()}`, 1);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'q1', { qos: 1 });
      const p = await nextPublish(a!);
      assert.equal(p.qos, 1);
      assert.ok((p.messageId ?? 0) > 0);
      await ack(a!, p);
    },
  },
  {
    id: 'share-no-retained',
    title: 'retained messages are not sent on a shared subscribe (MQTT 5 §4.8.2)',
    async run(t) {
      const pub = await t.connected();
      await publish(pub, t.topic(), 'retained', { qos: 1, retain: true });
      const [a] = await members(t, 1, `$share/g/${t.topic()}`);
      await expectNoPublish(a!, 400);
    },
  },
  {
    id: 'share-wildcard-filter',
    title: 'a shared subscription with wildcards (ingest: $share/ingest/users/+/events/+) matches like a plain one [MQTT-4.7.1-3]',
    async run(t) {
      const ms = await members(t, 2, `$share/ingest/${t.topic('users/+/events/+')}`, 1);
      const pub = await t.connected();
      await publish(pub, t.topic('users/ana/events/w1'), 'hr', { qos: 1 });
      await publish(pub, t.topic('users/ben/events'), 'unstamped', { qos: 1 });
      const got = (await drain(ms)).flat();
      assert.deepEqual(got.map((p) => p.topic), [t.topic('users/ana/events/w1')]);
    },
  },
  {
    id: 'share-dollar-topics',
    title: 'a shared "#" does not match "$" topics [MQTT-4.7.2-1]',
    async run(t) {
      const [a] = await members(t, 1, '$share/g/#');
      const pub = await t.connected();
      const dollar = `$${t.topic()}`;
      await publish(pub, dollar, 'hidden');
      await sleep(300);
      assert.equal(a!.peek('publish').some((p) => (p as IPublishPacket).topic === dollar), false);
    },
  },
  {
    id: 'share-unacked-moves',
    title: 'a QoS 1 message a persistent member dropped unacknowledged is delivered to another member (differs from MQTT 5 [MQTT-4.8.2-4] on purpose)',
    async run(t) {
      const filter = `$share/g/${t.topic()}`;
      const [a, b] = await members(t, 2, filter, 1, false);
      const pub = await t.connected();
      await publish(pub, t.topic(), 'm0', { qos: 1 });
      await publish(pub, t.topic(), 'm1', { qos: 1 });
      // Each member has one message; a drops without acknowledging.
      const pa = await nextPublish(a!);
      const pb = await nextPublish(b!);
      await ack(b!, pb);
      a!.drop();
      const moved = await nextPublish(b!, undefined, 2000);
      assert.equal(String(moved.payload), String(pa.payload));
      await ack(b!, moved);
    },
  },
]);
