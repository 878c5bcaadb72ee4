import { PulseHubError } from '@pulsehub/contracts';
import { DEFAULT_ADAPTER } from '../adapters/registry.js';

/** What the registry says about a device's adapters. */
export interface DeviceAdapters {
  /** The registered adapter: used when the payload names none. */
  registered: string;
  /** The device kind (watch, scale, cuff, phone, strap, gateway, other). */
  kind: string;
  /** An explicit list set at registration; replaces the kind's default list. */
  allowed: readonly string[] | null;
}

/**
 * The adapters a registered device may name in a payload besides its registered one, when no
 * explicit list was set: what the kind can plausibly relay. A phone app bridges the health
 * platforms and vendor clouds its user has data in; a BLE gateway sends decoded GATT readings;
 * a sensor speaks its firmware's dialect. Every kind may send PulseHub's own format.
 */
export const KIND_ADAPTERS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  phone: [DEFAULT_ADAPTER, 'healthkit.v1', 'healthconnect.v1', 'omh.v1', 'fitbit.v1', 'garmin.v1', 'withings.v1', 'manual'],
  gateway: [DEFAULT_ADAPTER, 'ble.v1'],
});

export function allowedAdapters(device: DeviceAdapters): string[] {
  return [...new Set([device.registered, ...(device.allowed ?? KIND_ADAPTERS[device.kind] ?? [DEFAULT_ADAPTER])])];
}

/**
 * The adapter id for one message: the device's registered adapter unless the payload names
 * another it is allowed to use. A device with no registry row (a bare device token) has no
 * registration to restrict it: the payload's adapter, else the default, is used.
 */
export function chooseAdapter(named: string | undefined, device: DeviceAdapters | undefined): string {
  if (!device) return named ?? DEFAULT_ADAPTER;
  if (named === undefined || named === device.registered) return device.registered;
  const allowed = allowedAdapters(device);
  if (allowed.includes(named)) return named;
  throw new PulseHubError('PH_INGEST_ADAPTER_NOT_ALLOWED', `the payload names adapter "${named}"; this ${device.kind} is registered with "${device.registered}" and may name ${allowed.map((a) => `"${a}"`).join(', ')}`);
}
