import { shortUuid } from '../decoders/index.js';
import { ADVERTISEMENT_DECODERS } from '../decoders/advertisements.js';
import { isBleGatewayError } from '../errors.js';
import { loadNoble, whenPoweredOn, type Noble, type NoblePeripheral } from '../runtime/noble.js';
import { PROFILES, PROFILE_NAMES } from '../runtime/profiles.js';

/**
 * `pulsehub-gateway scan`: what is around, which profile each device would bind as, and
 * what its advertisements decode to (scales broadcast their readings). GATT readings need a
 * binding: `run` connects only to bound devices.
 */
export function describePeripheral(p: NoblePeripheral): string {
  const services = (p.advertisement.serviceUuids ?? []).map(shortUuid);
  const profiles = PROFILE_NAMES.filter((n) => {
    const prof = PROFILES[n];
    return prof.mode === 'gatt' ? services.includes(prof.service) : (p.advertisement.serviceData ?? []).some((s) => shortUuid(s.uuid) === prof.serviceData);
  });
  const decoded: string[] = [];
  for (const s of p.advertisement.serviceData ?? []) {
    const decoder = Object.values(ADVERTISEMENT_DECODERS).find((d) => d.serviceData === shortUuid(s.uuid));
    if (decoder === undefined) continue;
    try {
      decoded.push(JSON.stringify(decoder.decode(s.data)));
    } catch (err) {
      decoded.push(`undecodable (${isBleGatewayError(err) ? err.code : String(err)})`);
    }
  }
  return [
    p.address && p.address !== 'unknown' ? p.address : p.id,
    `rssi ${p.rssi}`,
    p.advertisement.localName ? JSON.stringify(p.advertisement.localName) : '(no name)',
    `services [${services.join(', ')}]`,
    profiles.length ? `profiles: ${profiles.join(', ')}` : '',
    ...decoded,
  ]
    .filter(Boolean)
    .join('  ');
}

export async function scan(seconds: number, out: (line: string) => void, nobleFactory: () => Promise<Noble> = loadNoble): Promise<void> {
  const noble = await nobleFactory();
  await whenPoweredOn(noble);
  const seen = new Map<string, string>();
  const onDiscover = (p: NoblePeripheral): void => {
    const line = describePeripheral(p);
    if (seen.get(p.id) !== line) {
      seen.set(p.id, line);
      out(line);
    }
  };
  noble.on('discover', onDiscover);
  await noble.startScanningAsync([], true);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  noble.off('discover', onDiscover);
  await noble.stopScanningAsync().catch(() => undefined);
  out(`${seen.size} device(s) seen in ${seconds} s`);
}
