import type { MqttClient } from 'mqtt';
import { pino, type Logger } from 'pino';
import type { DiskQueue } from './disk-queue.js';

const silentLogger: Logger = pino({ level: 'silent' });

/** A queued record: the topic it goes to and the body; `retain` sets the PUBLISH retain flag. */
export interface Outgoing {
  readonly topic: string;
  readonly body: string;
  readonly retain?: boolean;
}

export function encodeOutgoing(o: Outgoing): Buffer {
  return Buffer.from(`${o.topic}\n${o.body}`, 'utf8');
}

export function decodeOutgoing(buf: Buffer): Outgoing {
  const s = buf.toString('utf8');
  const nl = s.indexOf('\n');
  return { topic: s.slice(0, nl), body: s.slice(nl + 1) };
}

export interface ForwarderOptions {
  /** QoS 1 messages in flight at once. Order is kept: one connection delivers in order [MQTT-4.6.0-6]. */
  readonly window?: number;
  readonly topicPrefix?: string;
  readonly logger?: Logger;
  /** How a record's bytes become a message (default `decodeOutgoing`, the gateway's `topic\nbody`). */
  readonly decode?: (buf: Buffer) => Outgoing;
}

/**
 * Moves records from the disk queue to a broker (the gateway's: the hub; the bridge's: an
 * external one), oldest first, at QoS 1, and acks each record
 * in the queue only when its PUBACK arrives. While the hub is unreachable nothing is sent
 * and the queue grows; on (re)connect the forwarder resumes after the last record handed to
 * mqtt.js (mqtt.js itself re-sends the unacknowledged ones).
 */
export class Forwarder {
  private sentThrough: number;
  private inflight = 0;
  private pumping = false;
  private again = false;
  private stopped = false;
  private readonly window: number;
  private readonly log: Logger;
  private readonly unsubscribe: () => void;
  private readonly onConnect = (): void => this.pump();
  private readonly topicPrefix: string;
  private readonly decode: (buf: Buffer) => Outgoing;
  delivered = 0;

  constructor(
    private readonly queue: DiskQueue,
    private readonly client: MqttClient,
    opts: ForwarderOptions = {},
  ) {
    this.window = opts.window ?? 32;
    this.log = opts.logger ?? silentLogger;
    this.topicPrefix = opts.topicPrefix ?? '';
    this.decode = opts.decode ?? decodeOutgoing;
    this.sentThrough = queue.stats().ackedThrough;
    this.unsubscribe = queue.onAppend(() => this.pump());
    client.on('connect', this.onConnect);
    this.pump();
  }

  pump(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.run()
      .catch((err: unknown) => this.log.error({ err }, 'forwarder: reading the queue failed'))
      .finally(() => {
        this.pumping = false;
        if (this.again) {
          this.again = false;
          this.pump();
        }
      });
  }

  private async run(): Promise<void> {
    // records dropped at the head (queue full) may be past our mark: skip them
    this.sentThrough = Math.max(this.sentThrough, this.queue.stats().ackedThrough);
    while (!this.stopped && this.client.connected && this.inflight < this.window) {
      const batch = await this.queue.read(this.sentThrough, this.window - this.inflight);
      if (batch.length === 0) return;
      for (const entry of batch) {
        const out = this.decode(entry.payload);
        this.sentThrough = entry.seq;
        this.inflight++;
        this.client.publish(`${this.topicPrefix}${out.topic}`, out.body, { qos: 1, retain: out.retain === true }, (err) => {
          this.inflight--;
          if (err) {
            // only on client.end(): the record stays in the queue and is sent after restart
            this.log.debug({ seq: entry.seq, err: err.message }, 'forwarder: publish not acknowledged');
          } else {
            this.delivered++;
            this.queue.ack(entry.seq);
          }
          this.pump();
        });
      }
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
    this.client.off('connect', this.onConnect);
  }
}
