/**
 * @pulsehub/physiology: the pure physiology every side of the hub shares — max heart rate,
 * heart-rate zones, time in zones, effort points, calories (Keytel), resting HR, steps →
 * distance and energy, power zones (Coggan) and HRV (RMSSD). No I/O, no dependencies: ingest
 * (daily rollups, derived series), web (live stream, class tallies) and the pages import it.
 */
export { maxHeartRate, type HrProfile, type MaxHrFormula } from './max-hr.js';
export { ZONE_FLOORS, zoneOf, percentOfMax, zoneBounds, validZoneFloors, type Zone } from './zones.js';
export { MAX_GAP_SECONDS, heldSeconds, instantMs, sortedReadings, type HrReading } from './readings.js';
export { EFFORT_POINTS_PER_MINUTE, effortPoints } from './effort.js';
export { ZoneAccumulator, timeInZones, type AccumulatorOptions } from './time-in-zones.js';
export { keytelKcalPerMinute, keytelKcal, type KeytelProfile, type Sex } from './calories.js';
export { restingHeartRate } from './resting.js';
export { DailyHeartRate } from './daily-hr.js';
export * from './steps.js';
export { POWER_ZONE_TOPS, POWER_ZONE_NAMES, powerZoneOf, percentOfFtp, type PowerZone } from './power-zones.js';
export * from './hrv.js';
export { pearson, restingTrend, weeklyWeightChange, type RestingTrend } from './trends.js';
