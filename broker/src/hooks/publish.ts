import type { AuthorizePublishHandler, PublishedHandler } from 'aedes';
import { parseEventsTopic, stampedEventsTopic } from '@pulsehub/contracts';
import type { BrokerContext } from '../context.js';
import { hasReplacementChar, TokenBucket } from '../limits.js';
import { publishViolation } from '../conformance.js';
import { expired } from './token-expiry.js';

const noop = (): void => {};
const toBuffer = (p: Buffer | string): Buffer => (typeof p === 'string' ? Buffer.from(p) : p);

/**
 * aedes `authorizePublish`, on every PUBLISH from a client: the topic rules, token expiry, the
 * publisher stamped into events topics, the in-process intake (stored before PUBACK) and the
 * per-client rate limit.
 */
export function authorizePublish(ctx: BrokerContext): AuthorizePublishHandler {
  const { state, metrics, log, subscriptionLimits, flow } = ctx;
  const intake = ctx.intake;
  return (client, packet, callback) => {
    // client is null for messages the broker publishes itself (e.g. $SYS heartbeats).
    if (client === null) return callback(null);
    const s = state.get(client);
    // A topic that is not well-formed UTF-8 closes the connection [MQTT-1.5.3-1].
    if (s?.access.canPublish(packet.topic) !== true || hasReplacementChar(packet.topic) || subscriptionLimits.topicTooLong(packet.topic) || publishViolation(packet) !== null) {
      metrics.dropped('acl');
      log.warn({ clientId: client.id, subject: s?.access.principal?.subject, device: s?.deviceKind, topic: packet.topic }, 'publish refused: not authorized');
      // MQTT 3.1.1 has no negative PUBACK: the refused client is disconnected.
      return callback(new Error(`not authorized to publish to ${packet.topic}`));
    }
    const principal = s.access.principal;
    if (expired(principal)) {
      log.info({ clientId: client.id, subject: principal?.subject, topic: packet.topic }, 'publish refused: token expired');
      return callback(new Error('token expired'));
    }
    let stamped = false;
    if (principal !== null) {
      // Stamp the publisher so ingest knows which device spoke (see stampedEventsTopic).
      if (packet.topic === s.stampFrom && s.stampTo !== undefined) packet.topic = s.stampTo;
      else {
        const userId = parseEventsTopic(packet.topic);
        if (userId !== null) {
          s.stampFrom = packet.topic;
          packet.topic = s.stampTo = stampedEventsTopic(userId, principal.subject);
        }
      }
      stamped = packet.topic === s.stampTo;
    }
    metrics.messageIn(packet.qos, packet.payload.length);
    flow.inFlight++;
    if (s.limit !== undefined) s.bucket ??= new TokenBucket(s.limit);
    const wait = s.bucket?.take() ?? 0;
    // The common case (no intake for this message, within its rate) allocates no closure.
    if (wait === 0 && (!intake || !stamped)) return callback(null);
    // With an in-process intake, a device's reading is stored before its PUBACK is written
    // (aedes writes it once this callback returns): what a device was told is delivered is
    // in the database, even if the process dies the next instant.
    const proceed = !intake || !stamped
      ? () => callback(null)
      : packet.qos === 0
        ? () => (intake(packet.topic, toBuffer(packet.payload), noop), callback(null))
        : () => intake(packet.topic, toBuffer(packet.payload), () => callback(null));
    if (wait === 0) return proceed();
    // Over its rate: hold this packet (and so this client's socket) instead of dropping
    // it. aedes reads the client's next packet only after this one, so TCP pushes back.
    metrics.rateLimited();
    setTimeout(proceed, wait);
  };
}

/** aedes `published`: a client's message reached its subscribers (close() waits for these). */
export function published(ctx: BrokerContext): PublishedHandler {
  const { flow } = ctx;
  return (_packet, client, done) => {
    if (client) flow.inFlight = Math.max(0, flow.inFlight - 1);
    done();
  };
}
