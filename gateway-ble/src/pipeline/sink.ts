import type { BleReading } from '@pulsehub/contracts';
import type { BleDateTime, ClockZone } from '../decoders/date-time.js';
import { encodeOutgoing, type DiskQueue } from '@pulsehub/spool';
import { silentLogger, type Logger } from '../log.js';
import { buildPayload, measurementTime, SequenceCounter, type SensorIdentity } from './payload.js';

export interface ReadingEvent {
  readonly sensor: SensorIdentity;
  readonly source: string;
  readonly reading: BleReading;
  readonly timestamp?: BleDateTime;
  readonly receivedAt: Date;
}

/**
 * Where the BLE runtime hands readings: stamps each with its identity and measurement time
 * and appends it to the disk queue. `accept` resolves once the reading is durable.
 */
export class ReadingSink {
  private readonly seq = new SequenceCounter();
  accepted = 0;

  constructor(
    private readonly queue: DiskQueue,
    private readonly gatewayId: string,
    private readonly clockZone: ClockZone = 'local',
    private readonly log: Logger = silentLogger,
  ) {}

  async accept(e: ReadingEvent): Promise<string> {
    const time = measurementTime(e.timestamp, e.receivedAt, this.clockZone);
    if (time.clockUnset) this.log.info({ address: e.sensor.address, source: e.source }, 'device clock is not set: using the receive time');
    const seq = this.seq.next(e.sensor.address, e.source, time.measuredAt);
    const { topic, payload } = buildPayload({ gatewayId: this.gatewayId, sensor: e.sensor, source: e.source, reading: e.reading, time, receivedAt: e.receivedAt }, seq);
    await this.queue.append(encodeOutgoing({ topic, body: JSON.stringify(payload) }));
    this.accepted++;
    return payload.id;
  }
}
