import type { Aedes, Client } from 'aedes';
import type { Logger } from 'pino';
import type { ClientAccess } from './policy.js';
import type { BrokerOptions, BrokerSettings, IntakeSink, PublishLocal } from './options.js';
import type { RateLimit, TokenBucket } from './limits.js';
import type { BrokerMetrics } from './metrics.js';
import type { ConsentViews } from './consents.js';
import type { SharedSubscriptions } from './shared-subscriptions.js';
import type { ExpirySchedule } from './expiry.js';
import type { SubscriptionLimits } from './hooks/subscription-limits.js';

/**
 * Per-client state, kept small: 10,000 idle devices hold 10,000 of these. The rules inside
 * `access` are shared per kind (rules.ts); the token bucket is made at the first PUBLISH.
 */
export interface ClientState {
  readonly access: ClientAccess;
  readonly limit: RateLimit | undefined;
  bucket: TokenBucket | undefined;
  /** Registry kind (watch, scale…) or subject kind, for logs and rate limits. */
  readonly deviceKind: string;
  /** The last events topic stamped with the publisher, and its stamped form (one device, one topic). */
  stampFrom: string | undefined;
  stampTo: string | undefined;
  /** deliverAtHighestQos is installed (at the first SUBSCRIBE). */
  highestQos: boolean;
}

/** What preConnect learnt from a CONNECT packet, for authenticate (which aedes calls without the packet). */
export interface PendingConnects {
  readonly keepalives: WeakMap<Client, number>;
  /** A zero-length client id with clean session 0: answered CONNACK 2 in authenticate [issue 4]. */
  readonly rejectedIds: WeakSet<Client>;
}

/** Whether new connections are served, and how many accepted PUBLISHes are not yet delivered (for close). */
export interface Flow {
  accepting: boolean;
  inFlight: number;
}

/**
 * Everything the hooks (hooks/*.ts) share, made once by createBroker: the one place the
 * broker's state lives. Only `flow` and the maps' contents change after it is made.
 */
export interface BrokerContext {
  readonly aedes: Aedes;
  readonly settings: BrokerSettings;
  /** The callbacks the broker was given: tokens, deviceInfo, certificatePrincipal, intake… */
  readonly options: BrokerOptions;
  /** The in-process intake, built once from `options.intake` with the broker's `publishLocal`. */
  readonly intake: IntakeSink | undefined;
  /** Publishes from the broker itself (QoS 0, not retained) to local subscribers. */
  readonly publishLocal: PublishLocal;
  readonly log: Logger;
  readonly metrics: BrokerMetrics;
  /** Connected clients by id (aedes's own map, see aedes-internals.ts). */
  clients(): Record<string, Client>;
  readonly state: WeakMap<Client, ClientState>;
  readonly pending: PendingConnects;
  /** Client id → the subject ('' when anonymous) whose session it is; kept while a persistent session may exist. */
  readonly sessionOwners: Map<string, string>;
  /** Client ids of service principals (ingest): their queued sessions are unbounded. */
  readonly serviceClientIds: Set<string>;
  readonly consents: ConsentViews;
  readonly expiries: ExpirySchedule<Client>;
  readonly subscriptionLimits: SubscriptionLimits;
  readonly shared: SharedSubscriptions;
  readonly flow: Flow;
}
