import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import postgres from 'postgres';
import { eventsTopic } from '@pulsehub/contracts';
import { startCluster, type Cluster } from '@pulsehub/cli';
import { LiveClient, waitFor } from '@pulsehub/testkit';

// The local cluster harness (deploy/README.md): HAProxy in front of 2 broker and 2 web nodes,
// one ingest worker, real processes on the local Redis and Postgres.
describe('pulsehub cluster: HAProxy, 2 brokers, 2 web nodes, ingest', () => {
  let cluster: Cluster;
  let sql: postgres.Sql;

  beforeAll(async () => {
    cluster = await startCluster({ logLevel: 'warn' });
    sql = postgres(cluster.state.database.url, { max: 1, onnotice: () => {} });
  }, 60_000);

  afterAll(async () => {
    await sql?.end();
    await cluster?.stop();
  }, 60_000);

  it('has every node up behind HAProxy', async () => {
    const servers = await cluster.servers();
    expect(servers.map((s) => `${s.backend}/${s.server} ${s.status}`).sort()).toEqual([
      'brokers/broker-1 UP', 'brokers/broker-2 UP', 'webs/web-1 UP', 'webs/web-2 UP',
    ]);
    const health = await (await fetch(`${cluster.http.url}/healthz`)).json() as { status: string; store: string };
    expect(health).toMatchObject({ status: 'ok', store: 'postgres' });
  });

  it('a reading published through HAProxy (MQTT) is streamed on /live through HAProxy (HTTP) and stored once', async () => {
    await sql`insert into users (id, name) values ('ana', 'Ana')`;
    const viewer = await cluster.mint({ subject: 'admin', kind: 'admin', ttlSeconds: 300 });
    const live = await LiveClient.open({ http: { port: cluster.http.port } } as never, viewer);
    await live.next('ready');
    live.send({ type: 'subscribe', athletes: ['ana'] });
    await live.next('snapshot');

    const token = await cluster.mint({ subject: 'w-cluster', kind: 'device', users: ['ana'], ttlSeconds: 300 });
    const device = await mqtt.connectAsync({ host: cluster.mqtt.host, port: cluster.mqtt.port, username: 'w-cluster', password: token, clientId: 'w-cluster', reconnectPeriod: 0 });
    await device.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 'cluster-1', metric: 'heart_rate', values: { bpm: 91 } }), { qos: 1 });

    const got = await live.next('event', (m) => m.event.id === 'cluster-1', { timeout: 10_000 });
    expect(got.event.values.bpm?.value).toBe(91);
    await waitFor(async () => (await sql`select count(*)::int as n from observations where id = 'cluster-1'`)[0]!.n === 1, { timeout: 10_000, what: 'the row written by the ingest worker' });
    const rows = await sql`select user_id, device_id from observations where id = 'cluster-1'`;
    expect(rows).toEqual([{ user_id: 'ana', device_id: 'w-cluster' }]);
    await device.endAsync();
    live.close();
  });

  it('MQTT over WebSocket through HAProxy reaches the brokers (web nodes relay /mqtt)', async () => {
    const token = await cluster.mint({ subject: 'w-ws', kind: 'device', users: ['ana'], ttlSeconds: 300 });
    const device = await mqtt.connectAsync(`ws://127.0.0.1:${cluster.http.port}/mqtt`, { username: 'w-ws', password: token, clientId: 'w-ws', reconnectPeriod: 0 });
    await device.publishAsync(eventsTopic('ana'), JSON.stringify({ id: 'cluster-ws-1', metric: 'heart_rate', values: { bpm: 92 } }), { qos: 1 });
    await waitFor(async () => (await sql`select count(*)::int as n from observations where id = 'cluster-ws-1'`)[0]!.n === 1, { timeout: 10_000, what: 'the row of the reading sent over WebSocket' });
    await device.endAsync();
  });
});
