import { Redis } from 'ioredis';
import mqemitterRedis from 'mqemitter-redis';
import persistenceRedis from 'aedes-persistence-redis';

/**
 * Shared broker state for several broker nodes: messages travel between nodes through
 * mqemitter-redis, sessions, subscriptions, retained messages and offline queues live in
 * aedes-persistence-redis. Connections are opened (and ready) before the libraries get them:
 * handing them a connection string races their start-up (`Connection in subscriber mode`).
 */
export interface ClusterBackends {
  readonly mq: unknown;
  readonly persistence: unknown;
  /** Cluster-wide claim of one message for one `$share` group (createBroker picks it up from the persistence). */
  readonly claim: (key: string) => Promise<boolean>;
  /** Closes the emitter and the persistence (aedes.close() closes neither). */
  close(): Promise<void>;
}

export interface ClusterOptions {
  url: string;
  /** Prefix for every key and channel, so several hubs (or test files) can share one Redis. */
  keyPrefix?: string;
  /** Messages kept per offline persistent session (aedes-persistence-redis maxSessionDelivery). */
  maxSessionDelivery?: number;
  /**
   * A Redis connection failed (Redis restarting, network): ioredis reconnects and resubscribes
   * on its own. Without a listener mqemitter-redis re-emits the error unhandled, which killed
   * every broker node when Redis restarted (issue 15).
   */
  onError?: (err: Error) => void;
}

/** How long a `$share` claim is kept: far longer than any node takes to see a message. */
const CLAIM_TTL_MS = 60_000;

/** Where createBroker finds the claim of cluster backends' persistence (the CLI passes mq and persistence only). */
export const SHARE_CLAIM = Symbol('pulsehub.shareClaim');

export function shareClaimOf(persistence: unknown): ((key: string) => Promise<boolean>) | undefined {
  return typeof persistence === 'object' && persistence !== null ? (persistence as { [SHARE_CLAIM]?: (key: string) => Promise<boolean> })[SHARE_CLAIM] : undefined;
}

async function ready(url: string, keyPrefix: string | undefined): Promise<Redis> {
  const r = new Redis(url, { lazyConnect: true, disableClientInfo: true, maxRetriesPerRequest: null, ...(keyPrefix ? { keyPrefix } : {}) });
  await r.connect();
  return r;
}

export async function createClusterBackends(o: ClusterOptions): Promise<ClusterBackends> {
  const [subConn, pubConn, conn] = await Promise.all([ready(o.url, o.keyPrefix), ready(o.url, o.keyPrefix), ready(o.url, o.keyPrefix)]);
  const mq = mqemitterRedis({ subConn, pubConn });
  const onError = o.onError ?? (() => {});
  (mq as unknown as { state: { on(e: 'error', f: (err: Error) => void): void } }).state.on('error', onError);
  for (const c of [subConn, pubConn, conn]) c.on('error', onError);
  const persistence = persistenceRedis({ conn, maxSessionDelivery: o.maxSessionDelivery ?? 1000 });
  // SET NX: the first node to claim a (group, message) routes it; the key expires on its own.
  const claim = async (key: string): Promise<boolean> => (await conn.set(key, '1', 'PX', CLAIM_TTL_MS, 'NX')) === 'OK';
  Object.defineProperty(persistence, SHARE_CLAIM, { value: claim });
  let closed = false;
  return {
    mq,
    persistence,
    claim,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((r) => mq.close(() => r()));
      // The callback form of destroy never calls back.
      await persistence.destroy();
      for (const c of [subConn, pubConn, conn]) if (c.status !== 'end') c.disconnect();
    },
  };
}
