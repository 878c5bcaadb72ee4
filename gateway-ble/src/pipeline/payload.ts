import { createHash } from 'node:crypto';
import { BLE_ADAPTER_ID, BleGatewayPayload, eventsTopic, type BleReading } from '@pulsehub/contracts';
import { toInstant, type BleDateTime, type ClockZone } from '../decoders/date-time.js';

/**
 * Turns a decoded reading into the `ble.v1` message the hub receives. This is where a reading
 * gets its identity — before it enters the disk queue — so every redelivery carries the same
 * event id and the hub stores it once.
 */
export interface SensorIdentity {
  /** The hub's device id for the sensor (from the binding, else derived from its address). */
  readonly deviceId: string;
  readonly address: string;
  readonly userId: string;
}

/** `ble-` + 32 base64url chars of SHA-256 over address, source, measurement time and sequence. */
export function bleEventId(address: string, source: string, measuredAt: string, seq: number): string {
  const h = createHash('sha256').update(`${address.toLowerCase()}\u0000${source}\u0000${measuredAt}\u0000${seq}`).digest('base64url');
  return `ble-${h.slice(0, 32)}`;
}

/** A device id for a sensor with none configured: `ble-` + its address without separators. */
export function deviceIdFromAddress(address: string): string {
  return `ble-${address.toLowerCase().replace(/[^0-9a-z]/g, '').slice(0, 60)}`;
}

/** A device clock more than a day ahead of the gateway is as wrong as one that reads 1970. */
const MAX_CLOCK_LEAD_MS = 24 * 60 * 60 * 1000;

export interface MeasurementTime {
  readonly measuredAt: string;
  readonly clockUnset: boolean;
}

/**
 * The measurement time: the device's own stamp when it has a plausible one (a scale or cuff
 * with a set clock, possibly hours before the gateway hears of it), else the receive time,
 * flagged `clockUnset` when the device did send a stamp we could not trust.
 */
export function measurementTime(timestamp: BleDateTime | undefined, receivedAt: Date, zone: ClockZone): MeasurementTime {
  if (timestamp === undefined) return { measuredAt: receivedAt.toISOString(), clockUnset: false };
  const at = toInstant(timestamp, zone);
  if (at === undefined || at.getTime() - receivedAt.getTime() > MAX_CLOCK_LEAD_MS) {
    return { measuredAt: receivedAt.toISOString(), clockUnset: true };
  }
  return { measuredAt: at.toISOString(), clockUnset: false };
}

export interface BuildOptions {
  readonly gatewayId: string;
  readonly sensor: SensorIdentity;
  readonly source: string;
  readonly reading: BleReading;
  readonly time: MeasurementTime;
  readonly receivedAt: Date;
}

/** Numbers readings that share sensor, source and measurement time (0, 1, 2, …). */
export class SequenceCounter {
  private readonly last = new Map<string, { at: string; seq: number }>();

  next(address: string, source: string, measuredAt: string): number {
    const key = `${address}\u0000${source}`;
    const prev = this.last.get(key);
    const seq = prev !== undefined && prev.at === measuredAt ? prev.seq + 1 : 0;
    this.last.set(key, { at: measuredAt, seq });
    return seq;
  }
}

export function buildPayload(o: BuildOptions, seq: number): { topic: string; payload: BleGatewayPayload } {
  const payload = BleGatewayPayload.parse({
    format: BLE_ADAPTER_ID,
    id: bleEventId(o.sensor.address, o.source, o.time.measuredAt, seq),
    gatewayId: o.gatewayId,
    deviceId: o.sensor.deviceId,
    address: o.sensor.address,
    source: o.source,
    seq,
    measuredAt: o.time.measuredAt,
    receivedAt: o.receivedAt.toISOString(),
    clockUnset: o.time.clockUnset,
    reading: o.reading,
  });
  return { topic: eventsTopic(o.sensor.userId), payload };
}
