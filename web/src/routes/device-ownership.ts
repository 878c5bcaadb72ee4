import { PulseHubError } from '@pulsehub/contracts';
import type { DeviceInput, Store } from '@pulsehub/store';

/**
 * The one rule of every device registration path (POST /api/devices by an admin or a
 * gateway, POST /api/gateways): a device id that exists keeps its owner and its sort
 * (gateway or personal device) — 409 otherwise — and a revoked device stays revoked — 403;
 * only an admin restores it, explicitly (POST /api/devices/:id/restore).
 */
export async function assertRegistrable(store: Store, want: { id: string; userId: string | null; kind: string }): Promise<void> {
  const have = await store.devices.get(want.id);
  if (!have) return;
  if (have.revokedAt) throw new PulseHubError('PH_AUTH_FORBIDDEN', `device ${want.id} was revoked; an admin restores it with POST /api/devices/${want.id}/restore`);
  if ((have.kind === 'gateway') !== (want.kind === 'gateway')) throw new PulseHubError('PH_WEB_CONFLICT', `device ${want.id} exists as a ${have.kind === 'gateway' ? 'gateway' : 'personal device'}`);
  if (have.userId !== want.userId) throw new PulseHubError('PH_WEB_CONFLICT', `device ${want.id} is registered to another user`);
}

/** Writes the device unless a concurrent request changed it since the check (then the same refusal). */
export async function registerDeviceRow(store: Store, d: DeviceInput): Promise<void> {
  await assertRegistrable(store, d);
  if (!(await store.devices.upsert(d))) {
    await assertRegistrable(store, d);
    throw new PulseHubError('PH_WEB_CONFLICT', `device ${d.id} changed while it was being registered`);
  }
}
