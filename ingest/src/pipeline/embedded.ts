import pino from 'pino';
import { createIntake, type Intake, type IntakeOptions } from './intake.js';
import type { IngestService } from './service.js';
import type { RuleEngine } from '../rules/engine.js';

export type EmbeddedIngestOptions = Omit<IntakeOptions, 'publishLive'>;

/** Publishes from the broker itself to local subscribers (the broker's `publishLocal`). */
export type PublishLocal = (topic: string, payload: Buffer | string) => void;

/** Takes one stamped message; `committed` runs once it is stored (the broker then sends the PUBACK). */
export type IntakeSink = (topic: string, payload: Buffer, committed: () => void) => void;

export interface EmbeddedIngest extends IngestService, Pick<Intake, 'submit' | 'check' | 'goals'> {
  /**
   * The broker's `intake` option: the broker calls it once, with its `publishLocal`, and hands
   * every stamped device message to the sink it returns.
   */
  readonly intake: (publishLocal: PublishLocal) => IntakeSink;
  /** The alert rules (null when off). */
  readonly rules: RuleEngine | null;
}

/**
 * Ingest inside the broker process (`pulsehub start`): a device's QoS 1 reading is stored
 * before its PUBACK, and live events go straight onto the broker's in-process bus. Roles apart
 * (`pulsehub ingest`) use `startIngest`, the MQTT consumer, instead.
 *
 * The pipeline starts at once (stats, health and the rollup refresher are there before the
 * broker is); live events flow once the broker has called `intake`, which is before any
 * message can arrive.
 */
export function startEmbeddedIngest(o: EmbeddedIngestOptions): EmbeddedIngest {
  let publishLocal: PublishLocal | undefined;
  const intake = createIntake({
    // A device waits for its PUBACK until its batch commits: group commit by default (no window;
    // the batch is what arrived while the previous commit was in flight). `maxDelayMs > 0` sets
    // a fixed window instead. `deliverLive` (optional) hands live events to an in-process
    // consumer as objects, besides `publishLocal`.
    ...o,
    logger: (o.logger ?? pino({ level: 'silent' })).child({ role: 'ingest' }),
    publishLive: (topic, payload) => publishLocal?.(topic, payload),
  });
  return {
    get stats() {
      // No MQTT consumer: nothing waits for an acknowledgement but the PUBACKs the broker holds.
      return { ...intake.stats, unacked: 0 };
    },
    refresher: intake.refresher,
    rules: intake.rules,
    get health() {
      return intake.health;
    },
    ready: async () => {},
    close: () => intake.close(),
    goals: intake.goals,
    submit: (userId, payload) => intake.submit(userId, payload),
    check: (userId, payload) => intake.check(userId, payload),
    intake(publish) {
      if (publishLocal) throw new Error('startEmbeddedIngest: the intake is already bound to a broker');
      publishLocal = publish;
      return (topic, payload, committed) => intake.accept(topic, payload, committed);
    },
  };
}
