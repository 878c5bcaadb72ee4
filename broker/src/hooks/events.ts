import type { BrokerContext } from '../context.js';
import { addressOf } from '../aedes-internals.js';

/** aedes events: client errors, UNSUBSCRIBE (frees limit slots) and disconnects (consents, expiry, session owner). */
export function listen(ctx: BrokerContext): void {
  const { aedes, metrics, log, state, consents, expiries, sessionOwners, subscriptionLimits } = ctx;
  aedes.on('clientError', (client, err) => {
    if (err.message === 'drain timeout') metrics.dropped('slow_subscriber');
    log.debug({ clientId: client.id, ip: addressOf(client), err: err.message }, 'client error');
  });
  aedes.on('connectionError', (client, err) => log.debug({ clientId: client?.id, err: err.message }, 'connection error'));
  aedes.on('unsubscribe', (topics, client) => subscriptionLimits.released(client, topics));
  aedes.on('clientDisconnect', (client) => {
    const p = state.get(client)?.access.principal;
    if (p?.kind === 'coach') consents.release(p.subject);
    if (p?.expiresAt !== undefined) expiries.remove(client, p.expiresAt);
    // A clean session ends with its connection; a persistent one keeps its owner.
    const current = ctx.clients()[client.id];
    if (client.clean && (current === undefined || current === client)) sessionOwners.delete(client.id);
  });
}
