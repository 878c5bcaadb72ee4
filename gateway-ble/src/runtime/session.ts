import { BleGatewayError, isBleGatewayError } from '../errors.js';
import { CscRates, type CscReading } from '../decoders/csc.js';
import { CyclingPowerRates, type CyclingPowerReading } from '../decoders/cycling-power.js';
import { decodeCharacteristic, shortUuid, type Decoded } from '../decoders/index.js';
import { FitnessMachineRecord, type DecodedFitnessMachine } from '../decoders/ftms.js';
import { mergeBodyComposition, type BodyCompositionReading, type DecodedBodyComposition } from '../decoders/body-composition.js';
import type { DeviceBinding } from '../config/config.js';
import type { Logger } from '../log.js';
import type { ReadingEvent } from '../pipeline/sink.js';
import type { SensorIdentity } from '../pipeline/payload.js';
import type { NoblePeripheral } from './noble.js';
import { BATTERY_LEVEL, BATTERY_SERVICE, PROFILES, type GattProfile } from './profiles.js';

export interface SessionDeps {
  readonly sink: { accept(e: ReadingEvent): Promise<unknown> };
  readonly log: Logger;
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  readonly connectTimeoutMs: number;
  readonly now: () => number;
}

export type SessionState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';

/**
 * One connected sensor: connect, discover the profile's service, subscribe to its
 * measurement characteristic(s), decode every notification/indication, and on disconnect
 * or failure try again with exponential backoff (initialMs doubling up to maxMs, with ±25 %
 * jitter so several sensors do not retry in lockstep). A reading that fails to decode is
 * logged with its error code and dropped; the session carries on.
 */
export class GattSession {
  state: SessionState = 'idle';
  attempts = 0;
  decodeErrors = 0;
  private timer: NodeJS.Timeout | undefined;
  private csc: CscRates | undefined;
  private power: CyclingPowerRates | undefined;
  private bodyPart: DecodedBodyComposition | undefined;
  private readonly ftmsRecords = new Map<string, FitnessMachineRecord>();

  constructor(
    readonly peripheral: NoblePeripheral,
    readonly binding: DeviceBinding,
    readonly sensor: SensorIdentity,
    private readonly deps: SessionDeps,
  ) {}

  private get profile(): GattProfile {
    return PROFILES[this.binding.profile] as GattProfile;
  }

  start(): void {
    if (this.state === 'idle') void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    this.attempts++;
    const p = this.peripheral;
    const log = this.deps.log.child({ address: this.sensor.address, profile: this.binding.profile });
    try {
      await this.withTimeout(p.connectAsync(), () => p.cancelConnect());
      if (this.state !== 'connecting') return; // stopped meanwhile
      p.once('disconnect', this.onDisconnect);
      const { characteristics } = await p.discoverSomeServicesAndCharacteristicsAsync([this.profile.service], [...this.profile.characteristics]);
      const wanted = characteristics.filter((c) => this.profile.characteristics.includes(shortUuid(c.uuid)));
      if (wanted.length === 0) {
        throw new BleGatewayError('PH_BLE_PROFILE_MISSING', `no ${this.profile.characteristics.join('/')} characteristic in service ${this.profile.service}`);
      }
      this.csc = new CscRates(this.binding.wheelCircumferenceM);
      this.power = new CyclingPowerRates(this.binding.wheelCircumferenceM);
      this.bodyPart = undefined;
      this.ftmsRecords.clear();
      for (const c of wanted) {
        c.on('data', (data: Buffer) => this.onValue(shortUuid(c.uuid), data));
        await c.subscribeAsync();
      }
      await this.readBattery(log);
      this.state = 'connected';
      this.attempts = 0;
      log.info('sensor connected and subscribed');
    } catch (err) {
      log.warn({ err: isBleGatewayError(err) ? err.code : (err as Error).message }, 'sensor connection failed');
      p.off('disconnect', this.onDisconnect);
      if (p.state === 'connected') await p.disconnectAsync().catch(() => undefined);
      this.retryLater();
    }
  }

  private async readBattery(log: Logger): Promise<void> {
    try {
      const { characteristics } = await this.peripheral.discoverSomeServicesAndCharacteristicsAsync([BATTERY_SERVICE], [BATTERY_LEVEL]);
      const battery = characteristics.find((c) => shortUuid(c.uuid) === BATTERY_LEVEL);
      if (!battery) return;
      this.onValue(BATTERY_LEVEL, await battery.readAsync());
      if (battery.properties.includes('notify')) {
        battery.on('data', (data: Buffer, isNotification: boolean) => isNotification && this.onValue(BATTERY_LEVEL, data));
        await battery.subscribeAsync();
      }
    } catch (err) {
      log.debug({ err: (err as Error).message ?? String(err) }, 'no battery service');
    }
  }

  private readonly onDisconnect = (): void => {
    if (this.state === 'stopped') return;
    this.deps.log.info({ address: this.sensor.address }, 'sensor disconnected');
    this.retryLater();
  };

  private retryLater(): void {
    if (this.state === 'stopped') return;
    this.state = 'waiting';
    const { initialMs, maxMs } = this.deps.reconnect;
    const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, this.attempts - 1));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), delay);
  }

  /** The backoff delay the next retry would use (without jitter), for status output and tests. */
  get backoffMs(): number {
    const { initialMs, maxMs } = this.deps.reconnect;
    return Math.min(maxMs, initialMs * 2 ** Math.max(0, this.attempts - 1));
  }

  private withTimeout<T>(p: Promise<T>, onTimeout: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        onTimeout();
        reject(new BleGatewayError('PH_BLE_CONNECT_TIMEOUT', `no connection within ${this.deps.connectTimeoutMs} ms`));
      }, this.deps.connectTimeoutMs);
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          clearTimeout(t);
          reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    });
  }

  private onValue(uuid: string, data: Buffer): void {
    const receivedAt = this.deps.now();
    let decoded: Decoded;
    try {
      decoded = decodeCharacteristic(uuid, data);
    } catch (err) {
      this.decodeErrors++;
      this.deps.log.warn({ address: this.sensor.address, uuid, code: isBleGatewayError(err) ? err.code : undefined, value: data.toString('hex') }, 'undecodable value dropped');
      return;
    }
    let { reading } = decoded;
    let timestamp = decoded.timestamp;
    if (reading.kind === 'heart_rate' && reading.sensorContact === 'not_detected') return; // strap not on skin
    if (reading.kind === 'cycling_speed_cadence') reading = (this.csc as CscRates).apply(reading as CscReading, receivedAt);
    if (reading.kind === 'cycling_power') reading = (this.power as CyclingPowerRates).apply(reading as CyclingPowerReading, receivedAt);
    if (reading.kind === 'body_composition') {
      const part = decoded as DecodedBodyComposition;
      try {
        const whole = this.bodyPart ? mergeBodyComposition(this.bodyPart, part) : part;
        if (whole.multiplePacket) {
          this.bodyPart = whole; // GSS v8 §3.34: the rest follows in the next packet
          return;
        }
        this.bodyPart = undefined;
        reading = whole.reading as BodyCompositionReading;
        timestamp = whole.timestamp;
      } catch (err) {
        this.bodyPart = undefined;
        this.deps.log.warn({ address: this.sensor.address, code: isBleGatewayError(err) ? err.code : undefined }, 'multi-packet body composition dropped');
        return;
      }
    }
    if (reading.kind === 'indoor_bike' || reading.kind === 'treadmill' || reading.kind === 'rower') {
      // FTMS §4.19: a Data Record may span notifications; publish each completed record once
      let record = this.ftmsRecords.get(uuid);
      if (!record) this.ftmsRecords.set(uuid, (record = new FitnessMachineRecord()));
      for (const whole of record.push(decoded as DecodedFitnessMachine)) this.emit(uuid, whole, receivedAt);
      return;
    }
    this.emit(uuid, reading, receivedAt, timestamp);
  }

  private emit(uuid: string, reading: Decoded['reading'], receivedAt: number, timestamp?: Decoded['timestamp']): void {
    const event: ReadingEvent = { sensor: this.sensor, source: uuid, reading, receivedAt: new Date(receivedAt), ...(timestamp ? { timestamp } : {}) };
    this.deps.sink.accept(event).catch((err: unknown) => this.deps.log.error({ err: (err as Error).message }, 'could not queue a reading'));
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.timer);
    this.peripheral.off('disconnect', this.onDisconnect);
    if (this.peripheral.state === 'connected') await this.peripheral.disconnectAsync().catch(() => undefined);
  }
}
