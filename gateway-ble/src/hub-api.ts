import { BleGatewayError } from './errors.js';
import type { ProfileName } from './runtime/profiles.js';

/**
 * Client for the hub's device registration, `POST /api/devices` (web/src/routes/api.ts):
 *
 *   POST {apiUrl}/api/devices
 *   Authorization: Bearer <token>
 *   { "id": "<device id>", "userId": "<user>", "kind": "strap|scale|cuff|other",
 *     "model": "BLE <profile> <address>", "adapter": "ble.v1" }
 *   → 201 { device, mqtt: { username, password, topic }, jti }
 *
 * A gateway token may pair sensors for its bound users; an admin token for anyone.
 * Errors come back as `{ error: { code, message } }` (PulseHub error catalog); they surface as
 * PH_GW_PAIR_FAILED carrying the HTTP status and the hub's code.
 */
export interface RegisterDevice {
  readonly deviceId: string;
  readonly userId: string;
  readonly profile: ProfileName;
  readonly address?: string;
  readonly name?: string;
}

const KIND: Record<ProfileName, 'strap' | 'scale' | 'cuff' | 'other'> = {
  heart_rate: 'strap',
  weight_scale: 'scale',
  body_composition: 'scale',
  mi_scale: 'scale',
  mi_body_scale: 'scale',
  blood_pressure: 'cuff',
  running_speed_cadence: 'other',
  cycling_speed_cadence: 'other',
  cycling_power: 'other',
  fitness_machine: 'other',
};

export interface RegisteredDevice {
  readonly status: number;
  readonly body: unknown;
}

export async function registerDevice(apiUrl: string, token: string, d: RegisterDevice, fetchImpl: typeof fetch = fetch): Promise<RegisteredDevice> {
  const url = new URL('/api/devices', apiUrl);
  const model = ['BLE', d.profile, d.address ?? d.name].filter(Boolean).join(' ').slice(0, 200);
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id: d.deviceId, userId: d.userId, kind: KIND[d.profile], model, adapter: 'ble.v1' }),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    throw new BleGatewayError('PH_GW_PAIR_FAILED', `cannot reach the hub at ${url.origin}: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  if (!res.ok) {
    // The hub answers errors as { error: { code, message } }.
    const error = typeof body === 'object' && body !== null && 'error' in body ? (body as { error: { code?: unknown; message?: unknown } }).error : undefined;
    const hubCode = error?.code === undefined ? undefined : String(error.code);
    const hubMessage = error?.message === undefined ? text.slice(0, 200) : String(error.message);
    const hint = res.status === 403 ? ' (a gateway may pair sensors only for users bound to it; an admin token may pair any)' : '';
    throw new BleGatewayError('PH_GW_PAIR_FAILED', `the hub refused the registration: HTTP ${res.status} ${hubCode ?? ''} ${hubMessage}${hint}`.replace(/\s+/g, ' ').trim(), {
      details: { status: res.status, code: hubCode, body },
    });
  }
  return { status: res.status, body };
}
