import { z } from 'zod';
import { DeviceId, EventId } from './ids.js';

/**
 * The wire format of the Raspberry Pi BLE gateway (adapter id `ble.v1`), published at QoS 1
 * to `users/<userId>/events` of the user the sensor is bound to. One reading per message.
 *
 *   { "format": "ble.v1", "id": "ble-…", "gatewayId": "pi-kitchen", "deviceId": "hrm-alice",
 *     "address": "c0:ff:ee:00:00:01", "source": "2a37", "seq": 0,
 *     "measuredAt": "2026-11-22T10:00:00.000Z", "receivedAt": "2026-11-22T10:00:00.000Z",
 *     "clockUnset": false,
 *     "reading": { "kind": "heart_rate", "bpm": 72, "sensorContact": "detected", "rrMs": [812.5] } }
 *
 * `id` is stable per reading (a hash of sensor address, source, measurement time and a
 * sequence number) and is fixed before the reading enters the gateway's on-disk queue, so a
 * reading redelivered after a crash or reconnect carries the same id and is stored once.
 * `measuredAt` is the original measurement time, not the send time: the sensor's own clock
 * when it has a valid one, else the time the gateway received it — then `clockUnset` is true.
 * Values are in SI units (kg, m, m/s, kJ, W, N·m, ohm); blood pressure keeps the unit the
 * cuff reported (`mmHg` or `kPa`), and absent optional fields are omitted, never zero.
 */
export const BLE_ADAPTER_ID = 'ble.v1';

const n = () => z.number().finite();
const nonneg = () => z.number().finite().nonnegative();

export const BleHeartRateReading = z
  .object({
    kind: z.literal('heart_rate'),
    bpm: nonneg(),
    sensorContact: z.enum(['unsupported', 'not_detected', 'detected']),
    energyExpendedKj: nonneg().optional(),
    rrMs: z.array(nonneg()).max(64),
  })
  .strict();

export const BleWeightReading = z
  .object({
    kind: z.literal('weight'),
    kg: nonneg(),
    bmi: nonneg().optional(),
    heightM: nonneg().optional(),
    /** Scale-side user index (0..254); 255 (unknown user) is omitted. */
    userIndex: z.number().int().min(0).max(254).optional(),
    /** The unit the scale displayed; the value above is always kg. */
    displayUnit: z.enum(['kg', 'lb', 'catty']),
  })
  .strict();

export const BleBodyCompositionReading = z
  .object({
    kind: z.literal('body_composition'),
    bodyFatPercent: nonneg().optional(),
    basalMetabolismKj: nonneg().optional(),
    musclePercent: nonneg().optional(),
    muscleMassKg: nonneg().optional(),
    fatFreeMassKg: nonneg().optional(),
    softLeanMassKg: nonneg().optional(),
    bodyWaterMassKg: nonneg().optional(),
    impedanceOhm: nonneg().optional(),
    weightKg: nonneg().optional(),
    heightM: nonneg().optional(),
    userIndex: z.number().int().min(0).max(254).optional(),
    displayUnit: z.enum(['kg', 'lb', 'catty']),
  })
  .strict();

export const BleBloodPressureStatus = z
  .object({
    bodyMovement: z.boolean(),
    cuffTooLoose: z.boolean(),
    irregularPulse: z.boolean(),
    pulseRateRange: z.enum(['within', 'above_upper', 'below_lower']).optional(),
    improperPosition: z.boolean(),
  })
  .strict();

export const BleBloodPressureReading = z
  .object({
    kind: z.literal('blood_pressure'),
    unit: z.enum(['mmHg', 'kPa']),
    systolic: n().optional(),
    diastolic: n().optional(),
    meanArterial: n().optional(),
    pulseBpm: nonneg().optional(),
    userIndex: z.number().int().min(0).max(254).optional(),
    status: BleBloodPressureStatus.optional(),
  })
  .strict();

export const BleRunningReading = z
  .object({
    kind: z.literal('running'),
    speedMps: nonneg(),
    cadenceSpm: nonneg(),
    strideLengthM: nonneg().optional(),
    totalDistanceM: nonneg().optional(),
    moving: z.enum(['walking', 'running']),
  })
  .strict();

const Revolutions = z.object({ cumulative: z.number().int().nonnegative(), lastEventTime: z.number().int().min(0).max(65535) }).strict();

export const BleCyclingSpeedCadenceReading = z
  .object({
    kind: z.literal('cycling_speed_cadence'),
    /** Raw counters; event times are in 1/1024 s. */
    wheel: Revolutions.optional(),
    crank: Revolutions.optional(),
    /** Derived from this and the previous notification (absent on the first one or while stopped-and-unknown). */
    speedMps: nonneg().optional(),
    cadenceRpm: nonneg().optional(),
  })
  .strict();

export const BleCyclingPowerReading = z
  .object({
    kind: z.literal('cycling_power'),
    powerW: n(),
    pedalPowerBalancePercent: nonneg().optional(),
    pedalPowerBalanceReference: z.enum(['unknown', 'left']).optional(),
    accumulatedTorqueNm: nonneg().optional(),
    accumulatedTorqueSource: z.enum(['wheel', 'crank']).optional(),
    /** Wheel event time in 1/2048 s (not 1/1024 s as in CSC). */
    wheel: Revolutions.optional(),
    crank: Revolutions.optional(),
    maxForceN: n().optional(),
    minForceN: n().optional(),
    maxTorqueNm: n().optional(),
    minTorqueNm: n().optional(),
    maxAngleDeg: nonneg().optional(),
    minAngleDeg: nonneg().optional(),
    topDeadSpotDeg: nonneg().optional(),
    bottomDeadSpotDeg: nonneg().optional(),
    accumulatedEnergyKj: nonneg().optional(),
    offsetCompensation: z.boolean(),
    speedMps: nonneg().optional(),
    cadenceRpm: nonneg().optional(),
  })
  .strict();

/**
 * Fitness Machine Service (0x1826) training data, one completed Data Record (the gateway
 * joins multi-notification records). Every field is optional: a machine sends the subset
 * its flags announce, and fields it marks "Data Not Available" are omitted. Speeds in m/s,
 * cadence and stroke rate per minute (0.5 resolution), energy in kcal as sent, elapsed and
 * remaining time in s. Power and resistance are signed.
 */
const ftmsCommon = {
  totalDistanceM: nonneg().optional(),
  totalEnergyKcal: nonneg().optional(),
  energyPerHourKcal: nonneg().optional(),
  energyPerMinuteKcal: nonneg().optional(),
  heartRateBpm: nonneg().optional(),
  metabolicEquivalent: nonneg().optional(),
  elapsedTimeS: nonneg().optional(),
  remainingTimeS: nonneg().optional(),
};

export const BleIndoorBikeReading = z
  .object({
    kind: z.literal('indoor_bike'),
    speedMps: nonneg().optional(),
    averageSpeedMps: nonneg().optional(),
    cadenceRpm: nonneg().optional(),
    averageCadenceRpm: nonneg().optional(),
    resistanceLevel: n().optional(),
    powerW: n().optional(),
    averagePowerW: n().optional(),
    ...ftmsCommon,
  })
  .strict();

export const BleTreadmillReading = z
  .object({
    kind: z.literal('treadmill'),
    speedMps: nonneg().optional(),
    averageSpeedMps: nonneg().optional(),
    inclinationPercent: n().optional(),
    rampAngleDeg: n().optional(),
    positiveElevationGainM: nonneg().optional(),
    negativeElevationGainM: nonneg().optional(),
    /** The spec's unit, km/min (0.1 resolution). */
    paceKmPerMin: nonneg().optional(),
    averagePaceKmPerMin: nonneg().optional(),
    forceOnBeltN: n().optional(),
    powerW: n().optional(),
    ...ftmsCommon,
  })
  .strict();

export const BleRowerReading = z
  .object({
    kind: z.literal('rower'),
    strokeRateSpm: nonneg().optional(),
    strokeCount: nonneg().optional(),
    averageStrokeRateSpm: nonneg().optional(),
    /** Seconds per 500 m. */
    paceSPer500m: nonneg().optional(),
    averagePaceSPer500m: nonneg().optional(),
    powerW: n().optional(),
    averagePowerW: n().optional(),
    resistanceLevel: n().optional(),
    ...ftmsCommon,
  })
  .strict();

export const BleBatteryReading = z.object({ kind: z.literal('battery'), percent: z.number().int().min(0).max(100) }).strict();

export const BleReading = z.discriminatedUnion('kind', [
  BleHeartRateReading,
  BleWeightReading,
  BleBodyCompositionReading,
  BleBloodPressureReading,
  BleRunningReading,
  BleCyclingSpeedCadenceReading,
  BleCyclingPowerReading,
  BleIndoorBikeReading,
  BleTreadmillReading,
  BleRowerReading,
  BleBatteryReading,
]);
export type BleReading = z.infer<typeof BleReading>;
export type BleReadingKind = BleReading['kind'];

export const BleGatewayPayload = z
  .object({
    format: z.literal(BLE_ADAPTER_ID),
    id: EventId,
    gatewayId: DeviceId,
    deviceId: DeviceId,
    /** Bluetooth address as the gateway saw it (lower case `aa:bb:…`), or the platform's peripheral id. */
    address: z.string().min(1).max(64),
    /** The characteristic UUID (16-bit, lower-case hex, e.g. `2a37`) or advertisement (`mi_scale`, `mi_body_scale`). */
    source: z.string().min(1).max(64),
    seq: z.number().int().nonnegative(),
    measuredAt: z.iso.datetime({ offset: true }),
    receivedAt: z.iso.datetime({ offset: true }),
    clockUnset: z.boolean(),
    reading: BleReading,
  })
  .strict();
export type BleGatewayPayload = z.infer<typeof BleGatewayPayload>;

/** Retained on `gateways/<id>/status`: `online` after connecting, `offline` as the last will. */
export const GatewayStatus = z
  .object({ status: z.enum(['online', 'offline']), gatewayId: DeviceId, at: z.iso.datetime({ offset: true }).optional() })
  .strict();
export type GatewayStatus = z.infer<typeof GatewayStatus>;
