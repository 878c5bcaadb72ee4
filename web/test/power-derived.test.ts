import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '@pulsehub/contracts';
import { powerDerived, profileOf } from '../src/live/profile.js';

const event = (metric: CanonicalEvent['metric'], values: CanonicalEvent['values']): CanonicalEvent => ({
  id: 'e1', userId: 'ana', deviceId: 'bike', metric, time: { at: '2026-11-24T10:00:00Z' }, values, source: { adapter: 'ble.v1', receivedAt: '2026-11-24T10:00:00Z' },
});

describe('power on /live frames', () => {
  it('gives % FTP and the Coggan level of a cycling event with power', () => {
    expect(powerDerived(event('cycling', { power: { value: 300, unit: 'W' } }), 250)).toEqual({ ftp: 250, pctFtp: 120, zone: 5 });
    expect(powerDerived(event('cycling', { power: { value: 100, unit: 'W' } }), 250)).toEqual({ ftp: 250, pctFtp: 40, zone: 1 });
  });

  it('gives nothing without an FTP, without power, or for another metric', () => {
    expect(powerDerived(event('cycling', { power: { value: 300, unit: 'W' } }), null)).toBeUndefined();
    expect(powerDerived(event('cycling', { cadence: { value: 90, unit: '/min' } }), 250)).toBeUndefined();
    expect(powerDerived(event('rowing', { power: { value: 300, unit: 'W' } }), 250)).toBeUndefined();
  });

  it("carries the user's FTP in the profile (null when unset)", () => {
    expect(profileOf({ maxHr: 190, birthYear: null, ftpWatts: 240 }).ftpWatts).toBe(240);
    expect(profileOf({ maxHr: null, birthYear: 1990 }).ftpWatts).toBeNull();
  });
});
