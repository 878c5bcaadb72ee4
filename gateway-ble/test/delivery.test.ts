import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BleGatewayPayload, parseGatewayStatusTopic } from '@pulsehub/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskQueue, Forwarder } from '@pulsehub/spool';
import { closeHubClient, createHubClient } from '../src/publisher/hub-client.js';
import { ReadingSink } from '../src/pipeline/sink.js';
import { clearRetained, HubLink, subscriber, uniquePrefix } from './broker-helpers.js';
import { waitFor } from '@pulsehub/testkit';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sensor = { deviceId: 'hrm-ana', address: 'c0:ff:ee:00:00:01', userId: 'ana' };

describe('store and forward to a real broker', () => {
  it('hub down while 1,000 readings are taken: all arrive once, in order, after it returns', async () => {
    const prefix = uniquePrefix();
    const gatewayId = `gw-${prefix.slice(8, 16)}`;
    const dir = await mkdtemp(join(tmpdir(), 'ph-deliver-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    cleanups.push(() => clearRetained(`${prefix}gateways/${gatewayId}/status`)); // runs after the client closed
    const sub = await subscriber([`${prefix}users/+/events`, `${prefix}gateways/+/status`]);
    cleanups.push(sub.close);

    const link = new HubLink();
    await link.up();
    await link.down(); // keep the port, refuse connections: the hub is unreachable
    const queue = await DiskQueue.open({ dir, fsync: 'always' });
    cleanups.push(() => queue.close());
    const client = createHubClient({ url: link.url, gatewayId, token: 'gateway-token', topicPrefix: prefix, reconnectPeriodMs: 100, connectTimeoutMs: 2000 });
    cleanups.push(() => closeHubClient(client, gatewayId, prefix));
    const forwarder = new Forwarder(queue, client, { topicPrefix: prefix, window: 16 });
    cleanups.push(async () => forwarder.stop());
    const sink = new ReadingSink(queue, gatewayId);

    const t0 = Date.parse('2026-03-02T12:00:00.000Z');
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const receivedAt = new Date(t0 + i * 1000);
      ids.push(await sink.accept({ sensor, source: '2a37', reading: { kind: 'heart_rate', bpm: 60 + (i % 100), sensorContact: 'detected', rrMs: [1000] }, receivedAt }));
    }
    expect(new Set(ids).size).toBe(1000);
    await new Promise((r) => setTimeout(r, 300));
    expect(client.connected).toBe(false);
    expect(sub.messages.filter((m) => m.topic.endsWith('/events'))).toHaveLength(0);
    expect(queue.stats().pending).toBe(1000);

    await link.up();
    const events = () => sub.messages.filter((m) => m.topic === `${prefix}users/ana/events`);
    await waitFor(() => events().length >= 1000, { timeout: 20_000, what: '1000 readings' });
    await waitFor(() => queue.stats().pending === 0, { timeout: 5000, what: 'all acked' });
    await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show up
    const got = events().map((m) => BleGatewayPayload.parse(JSON.parse(m.body)));
    expect(got.map((p) => p.id)).toEqual(ids);
    expect(got[0]).toMatchObject({ measuredAt: '2026-03-02T12:00:00.000Z', deviceId: 'hrm-ana', gatewayId, clockUnset: false, reading: { bpm: 60 } });
    expect(got[999]?.measuredAt).toBe('2026-03-02T12:16:39.000Z');

    // the retained status says online; cutting the link makes the broker publish the will
    const status = () => sub.messages.filter((m) => parseGatewayStatusTopic(m.topic.slice(prefix.length)) === gatewayId).map((m) => JSON.parse(m.body).status);
    await waitFor(() => status().includes('online'), { timeout: 5000, what: 'online status' });
    await link.down();
    await waitFor(() => status().at(-1) === 'offline', { timeout: 10_000, what: 'last will' });
    await link.up();
    await waitFor(() => status().at(-1) === 'online', { timeout: 10_000, what: 'online again' });
    // retained: a newcomer learns the state at once
    const late = await subscriber(`${prefix}gateways/${gatewayId}/status`);
    cleanups.push(late.close);
    await waitFor(() => late.messages.length > 0, { timeout: 5000, what: 'retained status' });
    expect(late.messages[0]).toMatchObject({ retain: true });
    expect(JSON.parse(late.messages[0]!.body)).toMatchObject({ status: 'online', gatewayId });
  }, 60_000);

  it('a gateway restarted with undelivered readings sends them after the restart, same ids', async () => {
    const prefix = uniquePrefix();
    const gatewayId = `gw-${prefix.slice(8, 16)}`;
    const dir = await mkdtemp(join(tmpdir(), 'ph-deliver-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    cleanups.push(() => clearRetained(`${prefix}gateways/${gatewayId}/status`)); // runs after the client closed
    const sub = await subscriber(`${prefix}users/+/events`);
    cleanups.push(sub.close);

    const first = await DiskQueue.open({ dir });
    const sink = new ReadingSink(first, gatewayId);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(await sink.accept({ sensor, source: '2a9d', reading: { kind: 'weight', kg: 70 + i / 10, displayUnit: 'kg' }, receivedAt: new Date(Date.UTC(2026, 2, 2, 7, i)) }));
    }
    await first.close(); // the process "dies" before it ever reached the hub

    const queue = await DiskQueue.open({ dir });
    cleanups.push(() => queue.close());
    const client = createHubClient({ url: 'mqtt://127.0.0.1:1883', gatewayId, token: 'gateway-token', topicPrefix: prefix, reconnectPeriodMs: 100 });
    cleanups.push(() => closeHubClient(client, gatewayId, prefix));
    const forwarder = new Forwarder(queue, client, { topicPrefix: prefix });
    cleanups.push(async () => forwarder.stop());
    await waitFor(() => sub.messages.length >= 20, { timeout: 10_000, what: '20 readings' });
    expect(sub.messages.map((m) => JSON.parse(m.body).id)).toEqual(ids);
  }, 30_000);
});
