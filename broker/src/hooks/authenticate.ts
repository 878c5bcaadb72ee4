import type { AuthenticateHandler, Client } from 'aedes';
import { isPulseHubError, type Principal } from '@pulsehub/contracts';
import type { BrokerContext } from '../context.js';
import { addressOf } from '../aedes-internals.js';
import { forgetConnectPacket } from '../parser-state.js';
import { compileAccess } from '../policy.js';
import { CONNACK, connackError, type ConnackCode } from '../return-codes.js';
import { verifiedCertificateName } from '../transports.js';

/** A CONNECT refused with a CONNACK code; `reason` is the metric label and the log's reason. */
export class Refusal extends Error {
  constructor(readonly code: Exclude<ConnackCode, 0>, readonly reason: string, readonly extra: object = {}) {
    super(reason);
  }
}

/**
 * aedes `authenticate`, as one promise adapter over the named steps below: `done` is called in
 * one place, once, with the CONNACK the steps decide.
 */
export function authenticate(ctx: BrokerContext): AuthenticateHandler {
  return (client, username, password, done) => {
    authenticateClient(ctx, client, username, password).then(
      () => {
        // [issue 17 §3] The CONNECT (its token pins the first read chunk) is not needed again.
        forgetConnectPacket(client);
        done(null, true);
      },
      (err: unknown) => {
        const r = err instanceof Refusal ? err : new Refusal(CONNACK.serverUnavailable, 'PH_INTERNAL', { detail: (err as Error).message });
        ctx.metrics.connectRefused(r.reason);
        ctx.log.warn({ clientId: client.id, username, ip: addressOf(client), reason: r.reason, ...r.extra }, 'connect refused');
        done(connackError(r.code, r.reason), false);
      },
    );
  };
}

/** capacity → keepalive → principal (token / certificate / anonymous) → claim client id → admit. */
export async function authenticateClient(ctx: BrokerContext, client: Client, username: string | undefined, password: Buffer | undefined): Promise<void> {
  checkClientId(ctx, client);
  checkCapacity(ctx);
  checkKeepalive(ctx, client);
  const principal = await principalOf(ctx, client, username, password);
  claimClientId(ctx, client, principal);
  await admit(ctx, client, principal);
  if (principal?.expiresAt !== undefined) ctx.expiries.add(client, principal.expiresAt);
  ctx.log.debug({ clientId: client.id, subject: principal?.subject, kind: principal?.kind, device: ctx.state.get(client)?.deviceKind, ip: addressOf(client) }, 'client authenticated');
}

/** [issue 4] A zero-length client id needs a clean session [MQTT-3.1.3-8] (seen by preConnect). */
function checkClientId(ctx: BrokerContext, client: Client): void {
  if (ctx.pending.rejectedIds.has(client)) throw new Refusal(CONNACK.identifierRejected, 'client id rejected: zero-length id needs clean session [MQTT-3.1.3-8]');
}

function checkCapacity(ctx: BrokerContext): void {
  if (ctx.aedes.connectedClients >= ctx.settings.maxConnections) throw new Refusal(CONNACK.serverUnavailable, 'PH_BROKER_TOO_MANY_CONNECTIONS');
}

/** Like Mosquitto's max_keepalive for MQTT 3.1.1 clients: identifier rejected (2), not 3.1.1's unused code 6. */
function checkKeepalive(ctx: BrokerContext, client: Client): void {
  const keepalive = ctx.pending.keepalives.get(client) ?? 0;
  ctx.pending.keepalives.delete(client);
  const max = ctx.settings.keepaliveMaxSec;
  if (max < 65_535 && (keepalive === 0 || keepalive > max)) throw new Refusal(CONNACK.identifierRejected, 'PH_BROKER_KEEPALIVE_OUT_OF_BOUNDS', { keepalive });
}

/** Who connects: a token in the password, else a verified client certificate, else anonymous (null). */
async function principalOf(ctx: BrokerContext, client: Client, username: string | undefined, password: Buffer | undefined): Promise<Principal | null> {
  if (password !== undefined && password.length > 0) return principalFromToken(ctx, username, password);
  const cert = verifiedCertificateName(client.conn);
  if (cert && ctx.options.certificatePrincipal) return principalFromCertificate(ctx, username, cert);
  if (ctx.settings.allowAnonymous && username === undefined) return null;
  throw new Refusal(CONNACK.notAuthorized, 'PH_AUTH_TOKEN_MISSING');
}

async function principalFromToken(ctx: BrokerContext, username: string | undefined, password: Buffer): Promise<Principal> {
  const tokens = ctx.options.tokens;
  if (!tokens) throw new Refusal(CONNACK.badUsernameOrPassword, 'PH_AUTH_TOKEN_INVALID');
  let principal: Principal;
  try {
    principal = await tokens.verify(password.toString('utf8'));
  } catch (err) {
    throw new Refusal(CONNACK.badUsernameOrPassword, isPulseHubError(err) ? err.code : 'PH_AUTH_TOKEN_INVALID', { detail: (err as Error).message });
  }
  if (username !== principal.subject) throw new Refusal(CONNACK.badUsernameOrPassword, 'PH_AUTH_USERNAME_MISMATCH', { subject: principal.subject });
  return principal;
}

async function principalFromCertificate(ctx: BrokerContext, username: string | undefined, cert: { cn: string; fingerprint: string }): Promise<Principal> {
  if (username !== undefined && username !== cert.cn) throw new Refusal(CONNACK.badUsernameOrPassword, 'PH_AUTH_USERNAME_MISMATCH', { subject: cert.cn });
  let principal: Principal | null;
  try {
    principal = await ctx.options.certificatePrincipal!(cert.cn, cert.fingerprint);
  } catch (err) {
    throw new Refusal(CONNACK.serverUnavailable, 'PH_STORE_UNAVAILABLE', { detail: (err as Error).message });
  }
  if (!principal) throw new Refusal(CONNACK.notAuthorized, 'PH_AUTH_FORBIDDEN', { certificate: cert.cn });
  return principal;
}

/**
 * A client id belongs to the subject that holds its session: another subject may not take it
 * over (MQTT would hand it the session and its queued messages) [MQTT-3.1.4-2].
 */
function claimClientId(ctx: BrokerContext, client: Client, principal: Principal | null): void {
  const who = principal?.subject ?? '';
  const owner = ctx.sessionOwners.get(client.id);
  if (owner !== undefined && owner !== who) throw new Refusal(CONNACK.identifierRejected, 'PH_BROKER_CLIENT_ID_TAKEN', { subject: who });
  ctx.sessionOwners.set(client.id, who);
}

/** Compiles the client's access (device kind from the registry, a coach's consents) and its rate limit. */
async function admit(ctx: BrokerContext, client: Client, principal: Principal | null): Promise<void> {
  try {
    const { settings, options } = ctx;
    let deviceKind: string = principal?.kind ?? 'anonymous';
    if (principal && (principal.kind === 'device' || principal.kind === 'gateway') && options.deviceInfo) {
      const info = await options.deviceInfo(principal.subject);
      if (info?.revoked) throw Object.assign(new Error('device revoked'), { code: 'PH_AUTH_TOKEN_REVOKED' });
      if (info) deviceKind = info.kind;
    }
    const athletes = principal?.kind === 'coach' ? await ctx.consents.acquire(principal.subject) : undefined;
    const access = compileAccess(principal, { allowAnonymous: settings.allowAnonymous, rules: settings.rules, clientId: client.id, partialDeny: settings.partialDeny, ...(athletes ? { athletes } : {}) });
    const limit = settings.rateLimits === false ? undefined : (settings.rateLimits[deviceKind] ?? (principal ? settings.rateLimits[principal.kind] : undefined));
    ctx.state.set(client, { access, limit, bucket: undefined, deviceKind, stampFrom: undefined, stampTo: undefined, highestQos: false });
    if (principal?.kind === 'service') ctx.serviceClientIds.add(client.id);
  } catch (err) {
    throw new Refusal(CONNACK.badUsernameOrPassword, (err as { code?: string }).code ?? 'PH_AUTH_TOKEN_INVALID', { detail: (err as Error).message });
  }
}
