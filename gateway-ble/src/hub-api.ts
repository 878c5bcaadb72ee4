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
 * Errors come back as `{ code, message }` (PulseHub error catalog); they surface as
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
    const hubCode = typeof body === 'object' && body !== null && 'code' in body ? String((body as { code: unknown }).code) : undefined;
    const hubMessage = typeof body === 'object' && body !== null && 'message' in body ? String((body as { message: unknown }).message) : text.slice(0, 200);
    const hint = res.status === 401 || res.status === 403 ? ' (this hub lets only admin tokens register devices: pass --token <admin token>)' : '';
    throw new BleGatewayError('PH_GW_PAIR_FAILED', `the hub refused the registration: HTTP ${res.status} ${hubCode ?? ''} ${hubMessage}${hint}`.replace(/\s+/g, ' ').trim(), {
      details: { status: res.status, code: hubCode, body },
    });
  }
  return { status: res.status, body };
}
