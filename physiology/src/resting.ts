import { instantMs, type HrReading } from './readings.js';

/**
 * Resting heart rate from one day's readings.
 *
 * Method: average the readings within each clock minute; slide a window of `windowMinutes`
 * consecutive minutes (default 10) that all have readings; the resting HR is the lowest window
 * mean. Requiring consecutive covered minutes keeps a lone low reading (a sensor dropout)
 * from setting the value, and a 10-minute window is long enough to be "at rest". Readings
 * during sleep count (they usually give the lowest window, as wearables' resting HR does).
 * Returns undefined when no window is fully covered.
 */
export function restingHeartRate(readings: readonly HrReading[], windowMinutes = 10): number | undefined {
  if (!Number.isInteger(windowMinutes) || windowMinutes < 1) throw new RangeError('windowMinutes must be a positive integer');
  const perMinute = new Map<number, { sum: number; n: number }>();
  for (const r of readings) {
    const minute = Math.floor(instantMs(r.at) / 60_000);
    const m = perMinute.get(minute) ?? { sum: 0, n: 0 };
    m.sum += r.bpm;
    m.n += 1;
    perMinute.set(minute, m);
  }
  const minutes = [...perMinute.keys()].sort((a, b) => a - b);
  let best: number | undefined;
  for (let i = 0; i + windowMinutes <= minutes.length; i++) {
    const first = minutes[i]!;
    if (minutes[i + windowMinutes - 1]! - first !== windowMinutes - 1) continue; // a gap inside the window
    let sum = 0;
    for (let k = 0; k < windowMinutes; k++) {
      const m = perMinute.get(first + k)!;
      sum += m.sum / m.n;
    }
    const mean = sum / windowMinutes;
    if (best === undefined || mean < best) best = mean;
  }
  return best;
}
