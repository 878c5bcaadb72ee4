import { eventInstant, type CanonicalEvent } from '@pulsehub/contracts';
import { stableEventId } from '../adapters/event-id.js';
import { HrvTracker } from '@pulsehub/physiology';

/** The adapter name on events the hub derives itself (not sent by a device). */
export const DERIVED_ADAPTER = 'pulsehub.derived';

/**
 * Values the hub derives from readings as they arrive, published live and stored like any
 * reading. Today: heart-rate variability. Each heart-rate reading with RR intervals feeds its
 * athlete's rolling window; once the window holds enough beats, an `hrv_rmssd` reading is
 * emitted at the same instant. State is per ingest worker: with several workers sharing the
 * stream, an athlete's readings are split between them and each sees fewer beats (values
 * appear later, never wrong beats paired: a gap breaks the sequence).
 */
export function createDerivedHook(): (events: readonly CanonicalEvent[]) => CanonicalEvent[] {
  const hrv = new HrvTracker();
  return (events) => {
    const out: CanonicalEvent[] = [];
    for (const e of events) {
      const rr = e.metric === 'heart_rate' ? e.series?.rr?.values : undefined;
      if (!rr || rr.length === 0) continue;
      const at = eventInstant(e.time);
      const v = hrv.add(e.userId, Date.parse(at), rr);
      if (!v || v.rmssd > 1000) continue;
      out.push({
        id: stableEventId(e.deviceId, 'hrv_rmssd', at),
        userId: e.userId,
        deviceId: e.deviceId,
        metric: 'hrv_rmssd',
        time: { at },
        values: { rmssd: { value: Math.round(v.rmssd * 10) / 10, unit: 'ms' }, ln_rmssd: { value: Math.round(v.lnRmssd * 1000) / 1000, unit: '1' } },
        source: { adapter: DERIVED_ADAPTER, receivedAt: e.source.receivedAt },
      });
    }
    return out;
  };
}
