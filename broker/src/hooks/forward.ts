import type { AuthorizeForwardHandler } from 'aedes';
import type { BrokerContext } from '../context.js';
import { capToSubscriptionQos } from '../conformance.js';
import { expired } from './token-expiry.js';

/**
 * aedes `authorizeForward`, on every delivery to a subscriber: the receive rules (a coach's
 * consents follow here, at the next message), token expiry, and the subscription's QoS cap.
 */
export function authorizeForward(ctx: BrokerContext): AuthorizeForwardHandler {
  const { state, metrics } = ctx;
  return (client, packet) => {
    const a = state.get(client)?.access;
    if (a && !expired(a.principal) && (a.canReceive ? a.canReceive(packet.topic) : a.canSubscribe(packet.topic))) {
      capToSubscriptionQos(client, packet); // [issue 4] [MQTT-3.8.4-6]
      metrics.messageOut(packet.qos);
      return packet;
    }
    metrics.dropped('acl_forward');
    return null;
  };
}
