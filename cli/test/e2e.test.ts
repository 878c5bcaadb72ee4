import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsTopic } from '@pulsehub/contracts';
import { connectDevice, LiveClient, startTestHub, waitFor, type TestHub } from '@pulsehub/testkit';

describe('end to end: watch → broker → ingest → database and coach browser socket', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub('postgres');
    await t.hub.store.users.upsert({ id: 'ana', name: 'Ana Souza' });
    await t.hub.store.consents.grant('ana', 'coach-1');
  });
  afterAll(async () => t?.close());

  it('delivers a heart-rate reading to a consented coach and stores it once per event id', async () => {
    const { hub } = t;
    const coachToken = await hub.mint({ subject: 'coach-1', kind: 'coach', ttlSeconds: 600 });
    const live = await LiveClient.open(hub, coachToken);
    const ready = await live.next('ready');
    expect(ready.athletes).toEqual(['ana']);
    live.send({ type: 'subscribe', athletes: ['ana'] });
    expect((await live.next('subscribed')).athletes).toEqual(['ana']);
    await live.next('snapshot', (m) => m.athlete === 'ana');

    const deviceToken = await hub.mint({ subject: 'watch-ana', kind: 'device', users: ['ana'] });
    const watch = await connectDevice(hub, 'watch-ana', deviceToken);
    const reading = { id: 'ana-hr-1', metric: 'heart_rate', at: '2026-11-22T10:00:00.000Z', values: { bpm: 128 }, rr: [470, 468] };
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify(reading), { qos: 1 });

    const got = await live.next('event', (m) => m.event.id === 'ana-hr-1');
    expect(got.event).toMatchObject({ userId: 'ana', deviceId: 'watch-ana', metric: 'heart_rate', values: { bpm: { value: 128, unit: '/min' } }, series: { rr: { unit: 'ms', values: [470, 468] } } });

    await waitFor(async () => (await hub.store.observations.count({ userId: 'ana' })) === 1, { timeout: 5000, what: 'row in the database' });
    // The same event id again: delivered at least once, stored exactly once.
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify(reading), { qos: 1 });
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ ...reading, id: 'ana-hr-2', at: '2026-11-22T10:00:01.000Z', values: { bpm: 129 } }), { qos: 1 });
    await waitFor(async () => (await hub.store.observations.count({ userId: 'ana' })) === 2, { timeout: 5000, what: 'second row' });
    await waitFor(() => hub.ingest.stats.duplicates >= 1, { timeout: 5000, what: 'the duplicate to be counted' });
    expect(await hub.store.observations.count({ userId: 'ana' })).toBe(2);
    const [latest] = await hub.store.observations.latest('ana');
    expect(latest?.id).toBe('ana-hr-2');

    await watch.endAsync();
    live.close();
  });

  it('stores a QoS 1 reading before the device receives its PUBACK', async () => {
    const { hub } = t;
    const watch = await connectDevice(hub, 'watch-ana', await hub.mint({ subject: 'watch-ana', kind: 'device', users: ['ana'] }));
    const before = await hub.store.observations.count({ userId: 'ana', metric: 'steps' });
    for (let i = 0; i < 20; i++) {
      await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ id: `acked-${i}`, metric: 'steps', start: `2026-11-22T08:${String(i).padStart(2, '0')}:00Z`, end: `2026-11-22T08:${String(i).padStart(2, '0')}:59Z`, values: { count: 10 } }), { qos: 1 });
      // The PUBACK has arrived: the reading must already be in the database.
      expect(await hub.store.observations.count({ userId: 'ana', metric: 'steps' })).toBe(before + i + 1);
    }
    await watch.endAsync();
  });

  it("shows a device's battery level to the coach as it is reported", async () => {
    const { hub } = t;
    const live = await LiveClient.open(hub, await hub.mint({ subject: 'coach-1', kind: 'coach', ttlSeconds: 600 }));
    await live.next('ready');
    live.send({ type: 'subscribe', athletes: ['ana'] });
    await live.next('snapshot');
    const watch = await connectDevice(hub, 'watch-ana', await hub.mint({ subject: 'watch-ana', kind: 'device', users: ['ana'] }));
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ metric: 'device_battery', values: { percent: 42 } }), { qos: 1 });
    const battery = await live.next('battery');
    expect(battery).toMatchObject({ athlete: 'ana', deviceId: 'watch-ana', percent: 42 });
    await watch.endAsync();
    live.close();
  });

  it('gives a coach no data of an athlete who did not consent', async () => {
    const { hub } = t;
    await hub.store.users.upsert({ id: 'ben', name: 'Ben' });
    const live = await LiveClient.open(hub, await hub.mint({ subject: 'coach-1', kind: 'coach', ttlSeconds: 600 }));
    await live.next('ready');
    live.send({ type: 'subscribe', athletes: ['ben', 'ana'] });
    const sub = await live.next('subscribed');
    expect(sub).toMatchObject({ athletes: ['ana'], denied: ['ben'] });

    const watch = await connectDevice(hub, 'watch-ben', await hub.mint({ subject: 'watch-ben', kind: 'device', users: ['ben'] }));
    await watch.publishAsync(eventsTopic('ben'), JSON.stringify({ id: 'ben-1', metric: 'heart_rate', values: { bpm: 90 } }), { qos: 1 });
    await waitFor(async () => (await hub.store.observations.count({ userId: 'ben' })) === 1, { timeout: 5000, what: "ben's row" });
    expect(live.messages.some((m) => m.type === 'event' && m.event.userId === 'ben')).toBe(false);
    await watch.endAsync();
    live.close();
  });

  it('cuts the live stream at once when consent is revoked', async () => {
    const { hub } = t;
    const live = await LiveClient.open(hub, await hub.mint({ subject: 'coach-1', kind: 'coach', ttlSeconds: 600 }));
    await live.next('ready');
    live.send({ type: 'subscribe', athletes: ['ana'] });
    await live.next('snapshot');
    const admin = await hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 });
    const res = await fetch(`${hub.http.url}/api/consents/ana/coach-1`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(204);
    await live.next('revoked', (m) => m.athlete === 'ana');
    const watch = await connectDevice(hub, 'watch-ana', await hub.mint({ subject: 'watch-ana', kind: 'device', users: ['ana'] }));
    await watch.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 'ana-after-revoke', metric: 'heart_rate', values: { bpm: 100 } }), { qos: 1 });
    // Stored (ana had two heart-rate readings), yet not streamed to the coach whose consent ended.
    await waitFor(async () => (await hub.store.observations.count({ userId: 'ana', metric: 'heart_rate' })) === 3, { timeout: 5000, what: 'the reading to be stored' });
    expect(live.messages.some((m) => m.type === 'event' && m.event.id === 'ana-after-revoke')).toBe(false);
    await watch.endAsync();
    live.close();
  });
});
