import { describe, expect, it } from 'vitest';
import { loadConfig } from '@pulsehub/cli';

describe('subscription limits are configuration (issue 11)', () => {
  it('defaults to 64 filters per SUBSCRIBE, 256 per session, 512-byte topics, 200 athletes per /live connection', () => {
    expect(loadConfig({}).limits).toEqual({ maxFiltersPerSubscribe: 64, maxSubscriptionsPerSession: 256, maxTopicLength: 512, liveMaxAthletes: 200 });
  });

  it('reads them from the environment and refuses values that are not positive integers', () => {
    const c = loadConfig({ PULSEHUB_MQTT_MAX_FILTERS_PER_SUBSCRIBE: '8', PULSEHUB_MQTT_MAX_SUBSCRIPTIONS: '32', PULSEHUB_MQTT_MAX_TOPIC_LENGTH: '128', PULSEHUB_LIVE_MAX_ATHLETES: '40' });
    expect(c.limits).toEqual({ maxFiltersPerSubscribe: 8, maxSubscriptionsPerSession: 32, maxTopicLength: 128, liveMaxAthletes: 40 });
    expect(() => loadConfig({ PULSEHUB_MQTT_MAX_SUBSCRIPTIONS: '0', PULSEHUB_LIVE_MAX_ATHLETES: 'many' })).toThrowError(/PULSEHUB_MQTT_MAX_SUBSCRIPTIONS[\s\S]*PULSEHUB_LIVE_MAX_ATHLETES/);
  });
});
