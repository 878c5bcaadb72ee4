import type { Client } from 'aedes';
import type { Logger } from 'pino';
import type { Principal } from '@pulsehub/contracts';
import { ExpirySchedule } from '../expiry.js';
import type { BrokerMetrics } from '../metrics.js';
import type { ClientState } from '../context.js';

/**
 * [issue 11] A token's `exp` closes its connection at that instant, like a revocation: one
 * schedule (one timer) for every connection, on every transport. authenticate adds a client,
 * clientDisconnect removes it.
 */
export function createTokenExpiry(state: WeakMap<Client, ClientState>, metrics: BrokerMetrics, log: Logger): ExpirySchedule<Client> {
  return new ExpirySchedule<Client>((client) => {
    const p = state.get(client)?.access.principal;
    metrics.tokenExpired();
    log.info({ clientId: client.id, subject: p?.subject, jti: p?.jti }, 'token expired: disconnecting client');
    client.close();
  });
}

/** True once the client's token has expired (checked per message too, ahead of the timer). */
export const expired = (p: Principal | null | undefined): boolean => p?.expiresAt !== undefined && Date.now() >= p.expiresAt * 1000;
