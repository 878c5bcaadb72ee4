import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { startCluster, type Cluster } from '@pulsehub/cli';
import { Fleet, type FleetDevice } from './fleet.js';
import { PrivatePostgres, PrivateRedis, waitFor } from '@pulsehub/testkit';

/**
 * Issue 15, section 3: the cluster's Redis restarted and its Postgres stopped for 10 s while
 * devices publish. Both are private servers of this file (never the shared 5432 / 6379). 100
 * devices at 1 Hz, QoS 1, persistent sessions, through HAProxy.
 */
const DEVICES = 100;

describe('cluster under a Redis restart and a Postgres outage', () => {
  const pg = new PrivatePostgres();
  const redis = new PrivateRedis();
  let cluster: Cluster;
  let sql: postgres.Sql;
  let devices: FleetDevice[];

  beforeAll(async () => {
    await pg.init();
    pg.start();
    await redis.start();
    cluster = await startCluster({ logLevel: 'warn', adminDatabaseUrl: pg.url, redisUrl: redis.url });
    sql = postgres(cluster.state.database.url, { max: 1, onnotice: () => {} });
    await sql`insert into users (id, name) values ('out-u', 'U')`;
    devices = await Promise.all(Array.from({ length: DEVICES }, async (_, i) => {
      const id = `out-d${String(i).padStart(3, '0')}`;
      return { id, userId: 'out-u', token: await cluster.mint({ subject: id, kind: 'device', users: ['out-u'], ttlSeconds: 3600 }) };
    }));
  }, 120_000);

  afterAll(async () => {
    await sql?.end({ timeout: 1 });
    await cluster?.stop();
    await redis.destroy();
    pg.destroy();
  }, 60_000);

  async function expectStoredOnce(acked: ReadonlySet<string>): Promise<number> {
    const rows = await sql<{ id: string; n: number }[]>`select id, count(*)::int as n from observations where user_id = 'out-u' group by id`;
    const stored = new Map(rows.map((r) => [r.id, r.n]));
    expect([...acked].filter((id) => !stored.has(id)), 'acknowledged readings missing').toEqual([]);
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    const [r] = await sql<{ counted: number }[]>`select coalesce(sum(hr_count), 0)::int as counted from daily_rollups where user_id = 'out-u'`;
    expect(r!.counted).toBe(rows.length);
    return rows.length;
  }

  it('Redis restarted mid-stream: nodes reconnect, nothing acknowledged is lost', async () => {
    let slowest = 0;
    const fleet = await Fleet.connect({ url: cluster.mqtt.url, devices, subscribe: true, onAck: (_id, ms) => (slowest = Math.max(slowest, ms)) });
    try {
      fleet.start();
      await waitFor(() => fleet.acked.size >= DEVICES * 3, { timeout: 30_000, what: 'readings before the restart' });
      const t0 = Date.now();
      await redis.stop();
      await new Promise((r) => setTimeout(r, 2000)); // the outage itself, not a wait for something
      await redis.start();
      const down = Date.now() - t0;
      const after = fleet.acked.size;
      await waitFor(() => fleet.acked.size >= after + DEVICES * 3, { timeout: 60_000, what: 'readings acknowledged after Redis is back' });
      await fleet.drain(60_000);
      expect(fleet.publishErrors).toEqual([]);
      const stored = await expectStoredOnce(fleet.acked);
      console.log(`Redis restart: down ${down} ms; ${fleet.acked.size} acknowledged, ${stored} stored once; slowest PUBACK ${Math.round(slowest)} ms; ${fleet.states.filter((s) => s.closes > 0).length} devices reconnected`);
    } finally {
      await fleet.close();
    }
  }, 120_000);

  it('Postgres stopped for 10 s: PUBACKs wait (back-pressure on every node), then everything is stored once', async () => {
    const fleet = await Fleet.connect({ url: cluster.mqtt.url, devices, subscribe: true });
    try {
      fleet.start();
      await waitFor(() => fleet.acked.size >= DEVICES * 3, { timeout: 30_000, what: 'readings before the outage' });
      pg.stop();
      const atStop = fleet.acked.size;
      await new Promise((r) => setTimeout(r, 10_000)); // the outage
      // Nothing is acknowledged while nothing can be committed (beyond a batch that committed
      // as the server went down); the devices hold their readings.
      const duringOutage = fleet.acked.size - atStop;
      const waiting = fleet.inFlight;
      pg.start();
      expect(duringOutage).toBeLessThan(DEVICES);
      expect(waiting).toBeGreaterThan(0);
      await waitFor(() => fleet.acked.size >= atStop + DEVICES * 3, { timeout: 60_000, what: 'readings acknowledged after Postgres is back' });
      await fleet.drain(60_000);
      expect(fleet.publishErrors).toEqual([]);
      const stored = await expectStoredOnce(fleet.acked);
      console.log(`Postgres outage 10 s: ${duringOutage} acknowledged during it, ${waiting} waiting for PUBACK at its end; ${fleet.acked.size} acknowledged in all, ${stored} stored once`);
    } finally {
      await fleet.close();
    }
  }, 120_000);
});
