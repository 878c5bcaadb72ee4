import { describe, expect, it } from 'vitest';
import { isPulseHubError } from '@pulsehub/contracts';
import { loadConfig } from '@pulsehub/cli';

const secret = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 97 + 13) % 256)).toString('base64url'); // 32 distinct bytes: passes the production entropy check

describe('configuration is read and validated once', () => {
  it('starts on embedded defaults with no configuration', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ mode: 'development', databaseUrl: undefined, jwt: undefined, mqtt: { port: 1883, portExplicit: false }, http: { port: 8080 } });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('refuses production without secrets and a database, naming every missing one', () => {
    let err: unknown;
    try {
      loadConfig({ PULSEHUB_MODE: 'production' });
    } catch (e) {
      err = e;
    }
    expect(isPulseHubError(err, 'PH_CONFIG_SECRET_MISSING')).toBe(true);
    expect((err as Error).message).toContain('PULSEHUB_JWT_SECRET');
    expect((err as Error).message).toContain('DATABASE_URL');
  });

  it('accepts production with its secrets', () => {
    const c = loadConfig({ PULSEHUB_MODE: 'production', PULSEHUB_JWT_SECRET: secret, DATABASE_URL: 'postgres://db/pulsehub' });
    expect(c.jwt?.secret).toBe(secret);
  });

  it('reports every invalid value at once', () => {
    expect(() => loadConfig({ PULSEHUB_MQTT_PORT: 'x', PULSEHUB_JWT_SECRET: 'short', LOG_LEVEL: 'loud' })).toThrowError(/PULSEHUB_MQTT_PORT[\s\S]*PULSEHUB_JWT_SECRET[\s\S]*LOG_LEVEL|PULSEHUB_MQTT_PORT[\s\S]*LOG_LEVEL[\s\S]*PULSEHUB_JWT_SECRET/);
  });

  it('reads the ingest worker threads (0 by default) and refuses a count it cannot run', () => {
    expect(loadConfig({}).ingest.workers).toBe(0);
    expect(loadConfig({ PULSEHUB_INGEST_WORKERS: '2' }).ingest.workers).toBe(2);
    for (const bad of ['-1', '17', '1.5', 'two']) expect(() => loadConfig({ PULSEHUB_INGEST_WORKERS: bad })).toThrowError(/PULSEHUB_INGEST_WORKERS/);
  });
});
