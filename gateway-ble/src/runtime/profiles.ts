import { BATTERY_LEVEL } from '../decoders/battery.js';
import { BLOOD_PRESSURE_MEASUREMENT } from '../decoders/blood-pressure.js';
import { BODY_COMPOSITION_MEASUREMENT } from '../decoders/body-composition.js';
import { CSC_MEASUREMENT } from '../decoders/csc.js';
import { CYCLING_POWER_MEASUREMENT } from '../decoders/cycling-power.js';
import { FITNESS_MACHINE_SERVICE, INDOOR_BIKE_DATA, ROWER_DATA, TREADMILL_DATA } from '../decoders/ftms.js';
import { HEART_RATE_MEASUREMENT } from '../decoders/heart-rate.js';
import { ADVERTISEMENT_DECODERS } from '../decoders/advertisements.js';
import { RSC_MEASUREMENT } from '../decoders/rsc.js';
import { WEIGHT_MEASUREMENT } from '../decoders/weight.js';

/**
 * What the gateway does with each kind of sensor. `gatt` profiles are connected to and their
 * measurement characteristic subscribed (notifications or indications, whichever the
 * characteristic offers — noble's subscribe writes the CCCD accordingly); `advertisement`
 * profiles are read from scan results without connecting. Service UUIDs are the SIG's
 * assigned numbers (Assigned Numbers, "GATT Services").
 */
export type GattProfile = { readonly mode: 'gatt'; readonly service: string; readonly characteristics: readonly string[] };
export type AdvertisementProfile = { readonly mode: 'advertisement'; readonly serviceData: string };
export type Profile = GattProfile | AdvertisementProfile;

export const PROFILES = {
  heart_rate: { mode: 'gatt', service: '180d', characteristics: [HEART_RATE_MEASUREMENT] },
  weight_scale: { mode: 'gatt', service: '181d', characteristics: [WEIGHT_MEASUREMENT] },
  body_composition: { mode: 'gatt', service: '181b', characteristics: [BODY_COMPOSITION_MEASUREMENT] },
  blood_pressure: { mode: 'gatt', service: '1810', characteristics: [BLOOD_PRESSURE_MEASUREMENT] },
  running_speed_cadence: { mode: 'gatt', service: '1814', characteristics: [RSC_MEASUREMENT] },
  cycling_speed_cadence: { mode: 'gatt', service: '1816', characteristics: [CSC_MEASUREMENT] },
  cycling_power: { mode: 'gatt', service: '1818', characteristics: [CYCLING_POWER_MEASUREMENT] },
  /** A fitness machine offers the one of these it is (bike, treadmill, rower): all present are subscribed. */
  fitness_machine: { mode: 'gatt', service: FITNESS_MACHINE_SERVICE, characteristics: [INDOOR_BIKE_DATA, TREADMILL_DATA, ROWER_DATA] },
  mi_scale: { mode: 'advertisement', serviceData: ADVERTISEMENT_DECODERS.mi_scale.serviceData },
  mi_body_scale: { mode: 'advertisement', serviceData: ADVERTISEMENT_DECODERS.mi_body_scale.serviceData },
} as const satisfies Record<string, Profile>;

export type ProfileName = keyof typeof PROFILES;
export const PROFILE_NAMES = Object.keys(PROFILES) as [ProfileName, ...ProfileName[]];

export const BATTERY_SERVICE = '180f';
export { BATTERY_LEVEL };
