import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@pulsehub/testkit';
import type { MqttClient } from 'mqtt';
import { createBroker, type PulseHubBroker } from '@pulsehub/broker';
import { as, silentSubscriber, sleep, tokens } from './helpers.js';

// $share/<group>/<filter> at the unit level, where the Mosquitto comparison suite does not
// reach: fairness over many messages, and a dropped member's unacknowledged messages moving
// to the others (and nowhere else).

let broker: PulseHubBroker;
let port: number;
const open: MqttClient[] = [];

beforeAll(async () => {
  broker = await createBroker({ tokens, rateLimits: false, sysIntervalMs: 0 });
  ({ port } = await broker.listen({ port: 0 }));
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
  await broker?.close();
});

interface Member {
  client: MqttClient;
  /** Payloads received, in order. */
  got: string[];
}

/** A service member of a group (mqtt.js, acknowledging). */
async function member(subject: string, filter: string, opts: { clean?: boolean } = {}): Promise<Member> {
  const client = await as(port, 'service', subject, [], { clientId: subject, clean: opts.clean ?? true });
  open.push(client);
  const got: string[] = [];
  client.on('message', (_t, payload) => got.push(payload.toString()));
  const granted = await client.subscribeAsync(filter, { qos: 1 });
  expect(granted.map((g) => g.qos)).toEqual([1]);
  return { client, got };
}

async function publisher(subject: string): Promise<MqttClient> {
  const c = await as(port, 'admin', subject);
  open.push(c);
  return c;
}

describe('$share round-robin', () => {
  it('gives each of 3 members exactly a third of 60 QoS 1 messages, each message to one member only', async () => {
    const filter = '$share/fair/users/+/events/+';
    const members = [await member('fair-a', filter), await member('fair-b', filter), await member('fair-c', filter)];
    // A plain subscriber on the same filter still gets everything.
    const plain = await member('fair-plain', 'users/+/events/+');
    const pub = await publisher('fair-pub');
    for (let i = 0; i < 60; i++) await pub.publishAsync(`users/u${i % 7}/events/w`, String(i), { qos: 1 });
    await waitFor(() => members.reduce((n, m) => n + m.got.length, 0) >= 60 && plain.got.length >= 60, { timeout: 5000, what: '60 deliveries' });
    await sleep(100);
    expect(members.map((m) => m.got.length)).toEqual([20, 20, 20]);
    const all = members.flatMap((m) => m.got).map(Number).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(plain.got).toHaveLength(60);
  });

  it('two groups on one filter each get every message once', async () => {
    const g1 = [await member('g1-a', '$share/g1/users/x/events/+'), await member('g1-b', '$share/g1/users/x/events/+')];
    const g2 = [await member('g2-a', '$share/g2/users/x/events/+')];
    const pub = await publisher('groups-pub');
    for (let i = 0; i < 10; i++) await pub.publishAsync('users/x/events/w', String(i), { qos: 1 });
    await waitFor(() => g1.reduce((n, m) => n + m.got.length, 0) >= 10 && g2[0]!.got.length >= 10, { timeout: 5000, what: 'both groups' });
    await sleep(100);
    expect(g1.flatMap((m) => m.got).map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(g1.map((m) => m.got.length)).toEqual([5, 5]);
    expect(g2[0]!.got).toEqual(Array.from({ length: 10 }, (_, i) => String(i)));
  });
});

describe('$share member loss', () => {
  it("moves a dropped persistent member's unacknowledged QoS 1 messages to the remaining members, and later messages skip it", async () => {
    const filter = '$share/move/users/m/events/+';
    const stuck = await silentSubscriber(port, 'service', 'move-stuck', filter, false);
    const b = await member('move-b', filter, { clean: false });
    const c = await member('move-c', filter, { clean: false });
    const pub = await publisher('move-pub');
    for (let i = 0; i < 9; i++) await pub.publishAsync('users/m/events/w', String(i), { qos: 1 });
    await waitFor(() => stuck.publishes.length + b.got.length + c.got.length >= 9, { timeout: 5000, what: 'first round' });
    const unacked = stuck.publishes.map((p) => p.payload);
    expect(unacked).toHaveLength(3);
    // The stuck member's connection drops without a PUBACK for any of its three messages.
    stuck.drop();
    await waitFor(() => b.got.length + c.got.length >= 9, { timeout: 5000, what: 'the moved messages' });
    const others = [...b.got, ...c.got];
    for (const m of unacked) expect(others).toContain(m);
    // Everything exactly once across the group (no copy was left with the dropped member's session either).
    expect([...others].map(Number).sort((x, y) => x - y)).toEqual(Array.from({ length: 9 }, (_, i) => i));
    // New work goes to the members still online.
    for (let i = 9; i < 13; i++) await pub.publishAsync('users/m/events/w', String(i), { qos: 1 });
    await waitFor(() => b.got.length + c.got.length >= 13, { timeout: 5000, what: 'later messages' });
    expect(stuck.publishes.map((p) => p.payload)).toEqual(unacked);
    expect(broker.connectedClients).toBeGreaterThan(0);
  });

  it('a clean-session member that leaves stops receiving at once; the rest share its part', async () => {
    const filter = '$share/leave/users/l/events/+';
    const a = await member('leave-a', filter);
    const b = await member('leave-b', filter);
    await a.client.endAsync();
    const pub = await publisher('leave-pub');
    for (let i = 0; i < 6; i++) await pub.publishAsync('users/l/events/w', String(i), { qos: 1 });
    await waitFor(() => b.got.length >= 6, { timeout: 5000, what: 'all six at b' });
    expect(a.got).toEqual([]);
  });
});
