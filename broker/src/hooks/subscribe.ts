import type { AuthorizeSubscribeHandler } from 'aedes';
import type { BrokerContext } from '../context.js';
import { isMalformedString, isRefused } from '../limits.js';
import { deliverAtHighestQos } from '../conformance.js';
import { isSharedFilter, parseSharedFilter } from '../shared-subscriptions.js';
import { expired } from './token-expiry.js';

/**
 * aedes `authorizeSubscribe`, once per filter: malformed filters close the connection; filters
 * refused by a limit (counted at parse time, hooks/subscription-limits.ts) or by the topic rules
 * get SUBACK 0x80; `$share/` filters join their group (shared-subscriptions.ts).
 */
export function authorizeSubscribe(ctx: BrokerContext): AuthorizeSubscribeHandler {
  const { state, metrics, log, subscriptionLimits: limits, shared } = ctx;
  return (client, sub, callback) => {
    const s = state.get(client);
    // [MQTT-3.3.5-1] Installed at the first SUBSCRIBE (before Aedes stores the subscription),
    // so the many clients that never subscribe (devices) do not carry the wrapper.
    if (s && !s.highestQos) {
      deliverAtHighestQos(client);
      s.highestQos = true;
    }
    // [issue 11 fuzz] a filter with malformed UTF-8 or U+0000 closes the connection [MQTT-1.5.3-1/2].
    if (isMalformedString(sub.topic)) return callback(new Error('topic filter is not a well-formed UTF-8 string'), null);
    // [issue 11] Refused by a limit as the packet was parsed: SUBACK 0x80.
    if (isRefused(sub) || expired(s?.access.principal)) return callback(null, null);
    const granted = (): void => {
      limits.granted(client, sub, s?.access.principal?.kind);
      callback(null, sub);
    };
    // [issue 4] $share/<group>/<filter>: the policy judges the inner filter; shared-subscriptions.ts routes it.
    if (isSharedFilter(sub.topic)) {
      const sharedFilter = parseSharedFilter(sub.topic);
      if (sharedFilter && s?.access.canSubscribe(sharedFilter.filter)) {
        shared.join(client, sharedFilter, sub.qos);
        return granted();
      }
    } else if (s?.access.canSubscribe(sub.topic)) return granted();
    limits.notGranted(client, sub);
    metrics.subscribeRefused('not_authorized');
    log.warn({ clientId: client.id, subject: s?.access.principal?.subject, device: s?.deviceKind, filter: sub.topic }, 'subscribe refused: not authorized');
    // A null subscription makes aedes answer SUBACK 0x80 for it [MQTT-3.9.3-2]; the connection stays up.
    callback(null, null);
  };
}
