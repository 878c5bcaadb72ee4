import { ADVERTISEMENT_DECODERS, type AdvertisementProfileName, type WeighInFrame } from '../decoders/advertisements.js';
import { shortUuid } from '../decoders/index.js';
import { isBleGatewayError } from '../errors.js';
import type { DeviceBinding } from '../config/config.js';
import { silentLogger, type Logger } from '../log.js';
import { deviceIdFromAddress, type SensorIdentity } from '../pipeline/payload.js';
import type { ReadingEvent } from '../pipeline/sink.js';
import { whenPoweredOn, type Noble, type NoblePeripheral } from './noble.js';
import { PROFILES } from './profiles.js';
import { GattSession } from './session.js';
import { WeighInTracker } from './weigh-in.js';

export interface RuntimeOptions {
  readonly noble: Noble;
  readonly devices: readonly DeviceBinding[];
  readonly sink: { accept(e: ReadingEvent): Promise<unknown> };
  readonly logger?: Logger;
  readonly reconnect?: { readonly initialMs: number; readonly maxMs: number };
  readonly connectTimeoutMs?: number;
  readonly poweredOnTimeoutMs?: number;
  /** How long a body scale's stabilized weight waits for its impedance before it is published anyway. */
  readonly weighInSettleMs?: number;
  readonly now?: () => number;
}

interface ScaleState {
  readonly binding: DeviceBinding;
  readonly tracker: WeighInTracker;
  sensor: SensorIdentity;
}

/**
 * The BLE side of the gateway: scans (with duplicates, because scales speak in repeated
 * advertisements), connects to every bound GATT sensor it sees — several at once, each in
 * its own session with its own reconnect backoff — and reads bound scales from their
 * advertisements. Readings go to the sink (the disk queue).
 */
export class BleRuntime {
  readonly sessions = new Map<string, GattSession>();
  private readonly scales = new Map<string, ScaleState>();
  private readonly log: Logger;
  private readonly now: () => number;
  private ticker: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly o: RuntimeOptions) {
    this.log = o.logger ?? silentLogger;
    this.now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    await whenPoweredOn(this.o.noble, this.o.poweredOnTimeoutMs);
    this.running = true;
    this.o.noble.on('discover', this.onDiscover);
    this.o.noble.on('stateChange', this.onState);
    await this.o.noble.startScanningAsync([], true);
    this.ticker = setInterval(() => this.tick(), 1000);
    this.log.info({ devices: this.o.devices.length }, 'scanning for bound sensors');
  }

  private readonly onState = (state: string): void => {
    if (state === 'poweredOn' && this.running) {
      this.log.info('adapter powered on again: resuming the scan');
      void this.o.noble.startScanningAsync([], true).catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'scan restart failed'));
    } else if (state !== 'poweredOn') {
      this.log.warn({ state }, 'Bluetooth adapter is not powered on');
    }
  };

  private match(p: NoblePeripheral): DeviceBinding[] {
    const address = p.address?.toLowerCase();
    const name = p.advertisement?.localName;
    return this.o.devices.filter((d) => (d.address !== undefined ? d.address === address : name !== undefined && new RegExp(d.name as string).test(name)));
  }

  private sensorOf(p: NoblePeripheral, d: DeviceBinding): SensorIdentity {
    const address = (p.address && p.address !== 'unknown' ? p.address : p.id).toLowerCase();
    return { deviceId: d.deviceId ?? deviceIdFromAddress(address), address, userId: d.userId };
  }

  private readonly onDiscover = (p: NoblePeripheral): void => {
    if (!this.running) return;
    for (const binding of this.match(p)) {
      const profile = PROFILES[binding.profile];
      if (profile.mode === 'gatt') {
        const key = `${p.id}/${binding.profile}`;
        if (!this.sessions.has(key)) {
          const session = new GattSession(p, binding, this.sensorOf(p, binding), {
            sink: this.o.sink,
            log: this.log,
            reconnect: this.o.reconnect ?? { initialMs: 1000, maxMs: 60_000 },
            connectTimeoutMs: this.o.connectTimeoutMs ?? 15_000,
            now: this.now,
          });
          this.sessions.set(key, session);
          this.log.info({ address: session.sensor.address, profile: binding.profile, userId: binding.userId }, 'bound sensor found');
          session.start();
        }
      } else {
        const data = p.advertisement?.serviceData?.find((s) => shortUuid(s.uuid) === profile.serviceData)?.data;
        if (data) this.onScaleAdvertisement(p, binding, data);
      }
    }
  };

  private onScaleAdvertisement(p: NoblePeripheral, binding: DeviceBinding, data: Buffer): void {
    const key = `${p.id}/${binding.profile}`;
    let state = this.scales.get(key);
    if (!state) {
      const decoder = ADVERTISEMENT_DECODERS[binding.profile as AdvertisementProfileName];
      state = { binding, tracker: new WeighInTracker(decoder.measuresImpedance, this.o.weighInSettleMs), sensor: this.sensorOf(p, binding) };
      this.scales.set(key, state);
    }
    let m: WeighInFrame;
    try {
      m = ADVERTISEMENT_DECODERS[binding.profile as AdvertisementProfileName].decode(data);
    } catch (err) {
      this.log.warn({ address: state.sensor.address, code: isBleGatewayError(err) ? err.code : undefined, value: data.toString('hex') }, 'undecodable scale advertisement');
      return;
    }
    const done = state.tracker.observe(m, this.now());
    if (done) this.emitWeighIn(state, done);
  }

  private emitWeighIn(state: ScaleState, w: { reading: WeighInFrame['reading']; timestamp: WeighInFrame['timestamp'] }): void {
    this.log.info({ address: state.sensor.address, userId: state.sensor.userId }, 'weigh-in');
    this.o.sink
      .accept({ sensor: state.sensor, source: state.binding.profile, reading: w.reading, timestamp: w.timestamp, receivedAt: new Date(this.now()) })
      .catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'could not queue a weigh-in'));
  }

  /** Publishes weigh-ins that waited long enough for an impedance. Called every second; exposed for tests. */
  tick(): void {
    for (const s of this.scales.values()) {
      const done = s.tracker.tick(this.now());
      if (done) this.emitWeighIn(s, done);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.ticker);
    this.o.noble.off('discover', this.onDiscover);
    this.o.noble.off('stateChange', this.onState);
    await this.o.noble.stopScanningAsync().catch(() => undefined);
    await Promise.all([...this.sessions.values()].map((s) => s.stop()));
  }
}
