import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { loadConfig } from '@pulsehub/cli';

// PULSEHUB_BRIDGE_*: the Home Assistant bridge's configuration, validated with the rest.

const problems = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (err) {
    return (err as Error).message;
  }
  return '';
};

describe('bridge configuration', () => {
  it('is off without a URL, with defaults when on', () => {
    expect(loadConfig({}).outbound.bridge).toBeUndefined();
    expect(loadConfig({ PULSEHUB_DATA_DIR: '/var/lib/ph', PULSEHUB_BRIDGE_URL: 'mqtt://ha.local:1883' }).outbound.bridge).toEqual({
      url: 'mqtt://ha.local:1883', username: undefined, password: undefined, caFile: undefined, insecure: false,
      prefix: 'pulsehub', discoveryPrefix: 'homeassistant', queueMax: 100_000, queueDir: resolve(join('/var/lib/ph', 'bridge-queue')),
    });
  });

  it('reports every problem at once, naming the variable', () => {
    const text = problems({ PULSEHUB_BRIDGE_USERNAME: 'u', PULSEHUB_BRIDGE_CA: '/nowhere/ca.pem' });
    expect(text).toContain('PULSEHUB_BRIDGE_USERNAME is set but PULSEHUB_BRIDGE_URL is not');
    expect(text).toContain('PULSEHUB_BRIDGE_CA is set but PULSEHUB_BRIDGE_URL is not');
    expect(text).toContain('PULSEHUB_BRIDGE_CA: no file at /nowhere/ca.pem');
    expect(problems({ PULSEHUB_BRIDGE_URL: 'mqtt://ha.local', PULSEHUB_BRIDGE_INSECURE: 'true' })).toContain('use an mqtts:// PULSEHUB_BRIDGE_URL');
    expect(problems({ PULSEHUB_BRIDGE_URL: 'http://ha.local' })).toContain('must be an mqtt:// or mqtts:// URL');
    expect(problems({ PULSEHUB_BRIDGE_URL: 'mqtt://ha.local', PULSEHUB_BRIDGE_PREFIX: 'ph/+/x' })).toContain('PULSEHUB_BRIDGE_PREFIX');
    expect(problems({ PULSEHUB_BRIDGE_URL: 'mqtt://ha.local', PULSEHUB_BRIDGE_QUEUE_MAX: '0' })).toContain('PULSEHUB_BRIDGE_QUEUE_MAX');
  });
});
