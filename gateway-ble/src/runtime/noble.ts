import type { EventEmitter } from 'node:events';
import { BleGatewayError } from '../errors.js';

/**
 * The slice of noble's API the gateway uses. `@abandonware/noble` opens an HCI socket the
 * moment it is imported (and throws EAFNOSUPPORT on a kernel without Bluetooth), so it is
 * only ever loaded lazily, here, and turned into an error that says what to do.
 */
export interface NobleCharacteristic extends EventEmitter {
  readonly uuid: string;
  readonly properties: readonly string[];
  subscribeAsync(): Promise<void>;
  readAsync(): Promise<Buffer>;
}
export interface NobleService {
  readonly uuid: string;
}
export interface NoblePeripheral extends EventEmitter {
  readonly id: string;
  readonly address: string;
  readonly rssi: number;
  readonly state: string;
  readonly advertisement: {
    localName?: string;
    serviceData?: { uuid: string; data: Buffer }[];
    serviceUuids?: string[];
  };
  connectAsync(): Promise<void>;
  disconnectAsync(): Promise<void>;
  cancelConnect(): void;
  discoverSomeServicesAndCharacteristicsAsync(services: string[], characteristics: string[]): Promise<{ services: NobleService[]; characteristics: NobleCharacteristic[] }>;
}
export interface Noble extends EventEmitter {
  readonly state: string;
  startScanningAsync(serviceUuids?: string[], allowDuplicates?: boolean): Promise<void>;
  stopScanningAsync(): Promise<void>;
  stopScanning(): void;
}

export const BLUETOOTH_HELP = [
  'Bluetooth is not available to the gateway. On Raspberry Pi OS:',
  '  1. install BlueZ and the tools:      sudo apt install bluetooth bluez libbluetooth-dev libudev-dev',
  '  2. make sure the adapter is up:      sudo rfkill unblock bluetooth && sudo hciconfig hci0 up',
  "  3. let Node open raw HCI sockets:    sudo setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node))",
  '     (or run the service with AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN, as the shipped systemd unit does)',
  '  4. noble talks HCI directly: if bluetoothd holds the adapter, stop it: sudo systemctl disable --now bluetooth',
].join('\n');

function explain(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'EAFNOSUPPORT'
      ? 'this kernel has no Bluetooth socket support (EAFNOSUPPORT): no adapter or no bluetooth module'
      : code === 'EPERM' || code === 'EACCES'
        ? `permission denied opening the HCI socket (${code})`
        : code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND'
          ? '@abandonware/noble or its native HCI binding is not installed (it is an optional dependency; its build needs libbluetooth-dev)'
          : `noble failed to load: ${(err as Error | undefined)?.message ?? String(err)}`;
  return `${why}\n${BLUETOOTH_HELP}`;
}

/** Loads the real noble (HCI) or throws PH_BLE_UNAVAILABLE with instructions. */
export async function loadNoble(): Promise<Noble> {
  try {
    const mod = (await import('@abandonware/noble')) as unknown as { default?: Noble } & Noble;
    return mod.default ?? mod;
  } catch (err) {
    throw new BleGatewayError('PH_BLE_UNAVAILABLE', explain(err), { cause: err });
  }
}

/** noble driven by a caller-supplied binding (tests, other transports): no HCI socket is opened. */
export async function nobleWithBindings(bindings: EventEmitter): Promise<Noble> {
  const mod = (await import('@abandonware/noble/with-bindings')) as unknown as { default: (b: EventEmitter) => Noble };
  return mod.default(bindings);
}

/** Waits for the adapter to power on; other states become PH_BLE_UNAVAILABLE with the fix. */
export function whenPoweredOn(noble: Noble, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      noble.off('stateChange', onState);
      if (err) reject(err);
      else resolve();
    };
    const onState = (state: string): void => {
      if (state === 'poweredOn') done();
      else if (state === 'unauthorized') done(new BleGatewayError('PH_BLE_UNAVAILABLE', `the Bluetooth adapter refused access (unauthorized)\n${BLUETOOTH_HELP}`));
      else if (state === 'unsupported') done(new BleGatewayError('PH_BLE_UNAVAILABLE', `no Bluetooth LE adapter found (unsupported)\n${BLUETOOTH_HELP}`));
    };
    const timer = setTimeout(
      () => done(new BleGatewayError('PH_BLE_UNAVAILABLE', `the Bluetooth adapter did not power on within ${timeoutMs} ms (state ${noble.state})\n${BLUETOOTH_HELP}`)),
      timeoutMs,
    );
    noble.on('stateChange', onState);
    if (noble.state === 'poweredOn') done();
  });
}
