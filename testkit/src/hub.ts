import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { generateSigningKey } from '@pulsehub/auth';
import { loadConfig, startHub, type Hub } from '@pulsehub/cli';
import { createTestDatabase, type TestDatabase } from '@pulsehub/store/testing';

export interface TestHub extends AsyncDisposable {
  hub: Hub;
  db: TestDatabase;
  close(): Promise<void>;
}

/** A whole embedded hub (`pulsehub start`) on ports 0 with a database of its own (Postgres unless told). */
export async function startTestHub(kind: 'postgres' | 'pglite' = 'postgres', env: Record<string, string> = {}): Promise<TestHub> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pulsehub-test-'));
  const db = await createTestDatabase(kind);
  const config = loadConfig({ PULSEHUB_DATA_DIR: dataDir, PULSEHUB_MQTT_PORT: '0', PULSEHUB_HTTP_PORT: '0', PULSEHUB_SILENCE_MS: '2000', ...env });
  const hub = await startHub({ config, keyring: { current: generateSigningKey(), previous: [] }, storeTarget: db.target, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  const close = async () => {
    await hub.close();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { hub, db, close, [Symbol.asyncDispose]: close };
}

/** An MQTT client of a device (username = device id, password = its token), connected. */
export async function connectDevice(hub: Pick<Hub, 'mqtt'>, deviceId: string, token: string): Promise<MqttClient> {
  const client = mqtt.connect({ host: hub.mqtt.host, port: hub.mqtt.port, username: deviceId, password: token, clientId: deviceId, reconnectPeriod: 0 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}
