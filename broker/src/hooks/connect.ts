import type { PreConnectHandler } from 'aedes';
import type { BrokerContext } from '../context.js';
import { connectViolation } from '../conformance.js';

/**
 * aedes `preConnect`: the first look at a CONNECT, before authenticate. Keeps what authenticate
 * needs from the packet (keepalive; a zero-length id with clean 0, answered CONNACK 2 there
 * [issue 4]), refuses CONNECTs aedes would accept but MQTT does not, and every connection once
 * close() has begun.
 */
export function preConnect(ctx: BrokerContext): PreConnectHandler {
  const { keepalives, rejectedIds } = ctx.pending;
  return (client, packet, done) => {
    keepalives.set(client, packet.keepalive ?? 0);
    const violation = connectViolation(packet);
    if (violation === 'client-id-rejected') rejectedIds.add(client);
    else if (violation !== null) return done(new Error(`malformed CONNECT: ${violation}`), false);
    done(null, ctx.flow.accepting);
  };
}
