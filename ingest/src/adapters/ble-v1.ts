import { BP_STATUS, BLE_ADAPTER_ID, METRICS, BleGatewayPayload, PulseHubError, type BleReading, type CanonicalEvent, type MetricId } from '@pulsehub/contracts';
import { defineAdapter, type AdapterContext } from './types.js';
import { buildEvent, toUtc, type ValueInput } from './util.js';

/**
 * Readings of the Raspberry Pi BLE gateway (`@pulsehub/gateway-ble`), format `ble.v1`
 * (schema in contracts/src/ble.ts). One reading per message. The event id is the gateway's
 * stable per-reading id (suffixed with the metric when a reading yields two events), so a
 * reading redelivered from the gateway's store-and-forward queue is stored once. The time is
 * the original measurement time the gateway recorded; the event's device is the sensor.
 *
 * Battery level becomes a `device_battery` event (device status, shown on boards). Fitness
 * machines (FTMS) become `cycling`, `running` or `rowing`, plus `heart_rate` when the machine
 * measures one.
 * Not mapped (no metric in the catalog, or not a measurement of the person):
 *  - body composition `softLeanMassKg`; RSC `totalDistanceM` (a sensor odometer since power-on,
 *    not a session distance); cycling raw revolution counters and pedal-force details;
 *  - heart rate readings without skin contact (`not_detected`) or 0 bpm: the strap is off.
 */
type Reading<K extends BleReading['kind']> = Extract<BleReading, { kind: K }>;
type Draft = { metric: MetricId; values: ValueInput[]; series?: CanonicalEvent['series'] };

const push = (values: ValueInput[], name: string, value: number | undefined, unit?: string): void => {
  if (value !== undefined) values.push(unit === undefined ? [name, value] : [name, value, unit]);
};

function heartRate(r: Reading<'heart_rate'>): Draft[] {
  if (r.sensorContact === 'not_detected' || r.bpm === 0) return [];
  const values: ValueInput[] = [['bpm', r.bpm, '/min']];
  push(values, 'energy_expended', r.energyExpendedKj, 'kJ');
  const d: Draft = { metric: 'heart_rate', values };
  if (r.rrMs.length > 0) d.series = { rr: { unit: 'ms', values: r.rrMs } };
  return [d];
}

function weight(r: Reading<'weight'>): Draft[] {
  const values: ValueInput[] = [['kg', r.kg, 'kg']];
  push(values, 'bmi', r.bmi, 'kg/m2');
  push(values, 'height', r.heightM, 'm');
  return [{ metric: 'body_weight', values }];
}

function bodyComposition(r: Reading<'body_composition'>): Draft[] {
  const values: ValueInput[] = [];
  push(values, 'fat_percent', r.bodyFatPercent, '%');
  push(values, 'fat_free_mass', r.fatFreeMassKg, 'kg');
  push(values, 'muscle_mass', r.muscleMassKg, 'kg');
  push(values, 'muscle_percent', r.musclePercent, '%');
  push(values, 'water_mass', r.bodyWaterMassKg, 'kg');
  push(values, 'impedance', r.impedanceOhm, 'Ohm');
  // GSS: basal metabolism is an energy per day in kJ
  push(values, 'basal_metabolism', r.basalMetabolismKj, 'kJ/d');
  const drafts: Draft[] = [];
  if (values.length > 0) drafts.push({ metric: 'body_composition', values });
  if (r.weightKg !== undefined) {
    const w: ValueInput[] = [['kg', r.weightKg, 'kg']];
    push(w, 'height', r.heightM, 'm');
    drafts.push({ metric: 'body_weight', values: w });
  }
  return drafts;
}

function bpStatus(s: NonNullable<Reading<'blood_pressure'>['status']>): number {
  let bits = 0;
  if (s.bodyMovement) bits |= BP_STATUS.bodyMovement;
  if (s.cuffTooLoose) bits |= BP_STATUS.cuffTooLoose;
  if (s.irregularPulse) bits |= BP_STATUS.irregularPulse;
  if (s.pulseRateRange === 'above_upper') bits |= BP_STATUS.pulseAboveRange;
  if (s.pulseRateRange === 'below_lower') bits |= BP_STATUS.pulseBelowRange;
  if (s.improperPosition) bits |= BP_STATUS.improperPosition;
  return bits;
}

function bloodPressure(r: Reading<'blood_pressure'>): Draft[] {
  if (r.systolic === undefined || r.diastolic === undefined) {
    // the cuff sent NaN/NRes/INF: there is no blood pressure to store, and we say so
    throw new PulseHubError('PH_INGEST_SCHEMA_INVALID', 'blood pressure reading without systolic and diastolic values (the cuff reported them as not a number)');
  }
  const values: ValueInput[] = [
    ['systolic', r.systolic, r.unit],
    ['diastolic', r.diastolic, r.unit],
  ];
  push(values, 'mean', r.meanArterial, r.unit);
  push(values, 'pulse', r.pulseBpm, '/min');
  if (r.status) values.push(['status', bpStatus(r.status), '{flags}']);
  return [{ metric: 'blood_pressure', values }];
}

function running(r: Reading<'running'>): Draft[] {
  const values: ValueInput[] = [
    ['speed', r.speedMps, 'm/s'],
    ['cadence', r.cadenceSpm, '/min'],
  ];
  push(values, 'stride', r.strideLengthM, 'm');
  return [{ metric: 'running', values }];
}

function cycling(r: Reading<'cycling_speed_cadence'> | Reading<'cycling_power'>): Draft[] {
  const values: ValueInput[] = [];
  push(values, 'speed', r.speedMps, 'm/s');
  push(values, 'cadence', r.cadenceRpm, '/min');
  // negative watts (back-pedalling, drivetrain coasting) deliver no power: the catalog's
  // cycling.power starts at 0
  if (r.kind === 'cycling_power') values.push(['power', Math.max(0, r.powerW), 'W']);
  // the first CSC notification has no previous one to derive a rate from: nothing to store yet
  return values.length > 0 ? [{ metric: 'cycling', values }] : [];
}

/** A machine's own heart rate (hand grips, or a strap it relays); 0 means it has none. */
function machineHeartRate(bpm: number | undefined): Draft[] {
  return bpm === undefined || bpm === 0 ? [] : [{ metric: 'heart_rate', values: [['bpm', bpm, '/min']] }];
}

/**
 * FTMS Data Records. A bike maps onto `cycling` (speed, cadence, power), a treadmill onto
 * `running` (belt speed; a treadmill has no cadence), a rower onto `rowing`. Averages,
 * totals since the session start, resistance, energy and MET are the machine's own session
 * summary, not observations of the moment, and are not stored.
 */
function indoorBike(r: Reading<'indoor_bike'>): Draft[] {
  const values: ValueInput[] = [];
  push(values, 'speed', r.speedMps, 'm/s');
  push(values, 'cadence', r.cadenceRpm, '/min');
  if (r.powerW !== undefined) values.push(['power', Math.max(0, r.powerW), 'W']);
  return [...(values.length > 0 ? [{ metric: 'cycling' as const, values }] : []), ...machineHeartRate(r.heartRateBpm)];
}

function treadmill(r: Reading<'treadmill'>): Draft[] {
  const values: ValueInput[] = [];
  push(values, 'speed', r.speedMps, 'm/s');
  return [...(values.length > 0 ? [{ metric: 'running' as const, values }] : []), ...machineHeartRate(r.heartRateBpm)];
}

const ROWING_PACE_MAX_S = METRICS.rowing.components.pace.max;

function rower(r: Reading<'rower'>): Draft[] {
  const values: ValueInput[] = [];
  push(values, 'stroke_rate', r.strokeRateSpm, '/min');
  if (r.powerW !== undefined) values.push(['power', Math.max(0, r.powerW), 'W']);
  // an idle rower reports pace 0 or a huge one (nobody rows 500 m in over an hour): no pace, not
  // a refused reading every second
  if (r.paceSPer500m !== undefined && r.paceSPer500m > 0 && r.paceSPer500m <= ROWING_PACE_MAX_S) values.push(['pace', r.paceSPer500m, 's']);
  return [...(values.length > 0 ? [{ metric: 'rowing' as const, values }] : []), ...machineHeartRate(r.heartRateBpm)];
}

function drafts(r: BleReading): Draft[] {
  switch (r.kind) {
    case 'heart_rate':
      return heartRate(r);
    case 'weight':
      return weight(r);
    case 'body_composition':
      return bodyComposition(r);
    case 'blood_pressure':
      return bloodPressure(r);
    case 'running':
      return running(r);
    case 'cycling_speed_cadence':
    case 'cycling_power':
      return cycling(r);
    case 'indoor_bike':
      return indoorBike(r);
    case 'treadmill':
      return treadmill(r);
    case 'rower':
      return rower(r);
    case 'battery':
      return [{ metric: 'device_battery', values: [['percent', r.percent, '%']] }];
  }
}

export const bleV1 = defineAdapter({
  id: BLE_ADAPTER_ID,
  description: 'PulseHub BLE gateway: one decoded GATT/advertisement reading per message, with its original measurement time',
  schema: BleGatewayPayload,
  normalize(input, ctx) {
    const sensorCtx: AdapterContext = { ...ctx, deviceId: input.deviceId };
    const time = { at: toUtc(input.measuredAt) };
    const out = drafts(input.reading);
    return out.map((d) =>
      buildEvent(BLE_ADAPTER_ID, sensorCtx, {
        id: out.length === 1 ? input.id : `${input.id}:${d.metric}`,
        metric: d.metric,
        time,
        values: d.values,
        ...(d.series === undefined ? {} : { series: d.series }),
      }),
    );
  },
});
