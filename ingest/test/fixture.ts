import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { TokenService } from '@pulsehub/auth';
import type { PulseHubBroker } from '@pulsehub/broker';
import { startTestBroker } from '@pulsehub/testkit';
import { startIngest, type IngestService } from '@pulsehub/ingest';
import { openStore, type Store } from '@pulsehub/store';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';

/** A real broker on port 0 and the standalone ingest consumer, on a database of its own. */
export interface IngestFixture {
  readonly tdb: TestDatabase;
  readonly store: Store;
  readonly tokens: TokenService;
  readonly broker: PulseHubBroker;
  readonly ingest: IngestService;
  readonly port: number;
  /** A connected device of `userId` (closed by `close`). */
  device(deviceId: string, userId: string): Promise<MqttClient>;
  close(): Promise<void>;
}

export async function startIngestFixture(kind: 'postgres' | 'pglite', clientId: string, logger: Logger): Promise<IngestFixture> {
  const tdb = await createTestDatabase(kind);
  const store = await openStore(tdb.target);
  const { broker, tokens, port } = await startTestBroker({ logger });
  const ingest = startIngest({
    broker: { host: '127.0.0.1', port }, token: (await tokens.mint({ subject: 'pulsehub-ingest', kind: 'service' })).token,
    username: 'pulsehub-ingest', clientId, store, logger, maxBatch: 50, maxDelayMs: 10, rollupRefreshMs: 60_000,
  });
  await ingest.ready();
  const clients: MqttClient[] = [];
  return {
    tdb, store, tokens, broker, ingest, port,
    async device(deviceId, userId) {
      const token = (await tokens.mint({ subject: deviceId, kind: 'device', users: [userId] })).token;
      const c = mqtt.connect({ host: '127.0.0.1', port, username: deviceId, password: token, clientId: deviceId, reconnectPeriod: 0 });
      await new Promise<void>((resolve, reject) => { c.once('connect', () => resolve()); c.once('error', reject); });
      clients.push(c);
      return c;
    },
    async close() {
      for (const c of clients) await c.endAsync();
      await ingest.close();
      await broker.close();
      await store.close();
      await tdb.drop();
    },
  };
}
