import { readFile, rename, writeFile } from 'node:fs/promises';
import { BleGatewayError } from '../errors.js';
import { loadConfig, parseConfig, resolveToken, type DeviceBinding } from '../config/config.js';
import { registerDevice } from '../hub-api.js';
import { deviceIdFromAddress } from '../pipeline/payload.js';
import { loadNoble, whenPoweredOn, type Noble, type NoblePeripheral } from '../runtime/noble.js';
import { PROFILE_NAMES, type ProfileName } from '../runtime/profiles.js';

export interface PairOptions {
  readonly configPath: string;
  readonly userId: string;
  readonly profile: string;
  readonly address?: string;
  readonly name?: string;
  readonly deviceId?: string;
  /** An admin token, to pair a sensor for a user not bound to this gateway. */
  readonly token?: string;
  readonly scan: boolean;
  readonly scanSeconds: number;
  readonly write: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  readonly noble?: () => Promise<Noble>;
}

/** Waits until a device matching the binding advertises; returns its address. */
async function findDevice(noble: Noble, b: { address?: string; name?: string }, seconds: number): Promise<string> {
  await whenPoweredOn(noble);
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      noble.off('discover', onDiscover);
      void noble.stopScanningAsync().catch(() => undefined);
      reject(new BleGatewayError('PH_GW_PAIR_FAILED', `no device ${b.address ?? b.name} seen in ${seconds} s: wake it up (put the strap on, step on the scale) and try again`));
    }, seconds * 1000);
    const onDiscover = (p: NoblePeripheral): void => {
      const hit = b.address !== undefined ? p.address?.toLowerCase() === b.address : new RegExp(b.name as string).test(p.advertisement.localName ?? '');
      if (!hit) return;
      clearTimeout(timer);
      noble.off('discover', onDiscover);
      void noble.stopScanningAsync().catch(() => undefined);
      resolve(p.address.toLowerCase());
    };
    noble.on('discover', onDiscover);
    void noble.startScanningAsync([], true).catch(reject);
  });
}

/**
 * `pulsehub-gateway pair`: (optionally) confirms the device is in range, registers it with
 * the hub for the user, and (with --write) adds the binding to the config file — validated
 * as a whole before the file is atomically replaced.
 */
export async function pair(o: PairOptions): Promise<DeviceBinding> {
  const config = await loadConfig(o.configPath);
  if (!config.hub.apiUrl) throw new BleGatewayError('PH_GW_CONFIG_INVALID', 'hub.apiUrl: pairing needs the hub API URL (e.g. "https://hub.example:8080")');
  if (!(PROFILE_NAMES as string[]).includes(o.profile)) {
    throw new BleGatewayError('PH_GW_CONFIG_INVALID', `--profile: one of ${PROFILE_NAMES.join(', ')}`);
  }
  let address = o.address?.toLowerCase();
  if (o.scan) {
    const seen = await findDevice(await (o.noble ?? loadNoble)(), { ...(address ? { address } : {}), ...(o.name ? { name: o.name } : {}) }, o.scanSeconds);
    address ??= seen;
    o.out(`found ${seen}`);
  }
  const deviceId = o.deviceId ?? (address ? deviceIdFromAddress(address) : undefined);
  const candidate = { ...(address ? { address } : {}), ...(o.name && !address ? { name: o.name } : {}), profile: o.profile, userId: o.userId, ...(deviceId ? { deviceId } : {}) };
  const raw = JSON.parse(await readFile(o.configPath, 'utf8')) as { devices?: unknown[] };
  const next = { ...raw, devices: [...(raw.devices ?? []), candidate] };
  const checked = parseConfig(next, `${o.configPath} with the new device`); // validates the binding before the hub hears of it
  const binding = checked.devices.at(-1) as DeviceBinding;
  const token = o.token ?? (await resolveToken(config, o.env));
  const res = await registerDevice(config.hub.apiUrl, token, {
    deviceId: binding.deviceId as string,
    userId: binding.userId,
    profile: binding.profile as ProfileName,
    ...(binding.address ? { address: binding.address } : {}),
    ...(binding.name ? { name: binding.name } : {}),
  });
  o.out(`registered ${binding.deviceId} for ${binding.userId} (HTTP ${res.status})`);
  if (o.write) {
    const tmp = `${o.configPath}.tmp`;
    await writeFile(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, o.configPath);
    o.out(`added the binding to ${o.configPath}; restart the service to use it`);
  } else {
    o.out(`add this to "devices" in ${o.configPath}:\n${JSON.stringify(candidate, null, 2)}`);
  }
  o.out('the gateway token must list this user (claim "users") for the hub to accept its readings: re-issue it if the user is new to this gateway');
  return binding;
}
