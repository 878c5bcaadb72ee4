import { Redis } from 'ioredis';

/**
 * Access changes that every broker node must apply at once: a revoked token or device is
 * disconnected and refused, a consent change re-scopes coach subscriptions. In one process
 * the listeners are called directly; with Redis every node (and the web role) shares one
 * pub/sub channel. Listeners must be idempotent: the publishing process hears itself twice.
 */
export type RevocationEvent =
  | { type: 'token'; jti: string }
  | { type: 'device'; deviceId: string }
  | { type: 'consent'; athleteId: string; viewerId: string; granted: boolean };

export interface RevocationBus {
  publish(event: RevocationEvent): Promise<void>;
  subscribe(listener: (event: RevocationEvent) => void): void;
  close(): Promise<void>;
}

export interface RevocationBusOptions {
  redisUrl?: string;
  channel?: string;
  onError?: (err: Error) => void;
}

function parse(message: string): RevocationEvent | null {
  try {
    const e = JSON.parse(message) as Partial<RevocationEvent> & Record<string, unknown>;
    if (e.type === 'token' && typeof e.jti === 'string') return { type: 'token', jti: e.jti };
    if (e.type === 'device' && typeof e.deviceId === 'string') return { type: 'device', deviceId: e.deviceId };
    if (e.type === 'consent' && typeof e.athleteId === 'string' && typeof e.viewerId === 'string' && typeof e.granted === 'boolean') {
      return { type: 'consent', athleteId: e.athleteId, viewerId: e.viewerId, granted: e.granted };
    }
  } catch {
    // fall through
  }
  return null;
}

export async function createRevocationBus(o: RevocationBusOptions = {}): Promise<RevocationBus> {
  const listeners: ((e: RevocationEvent) => void)[] = [];
  const emit = (e: RevocationEvent) => {
    for (const l of listeners) l(e);
  };
  if (!o.redisUrl) {
    return { async publish(e) { emit(e); }, subscribe: (l) => void listeners.push(l), async close() {} };
  }
  const channel = o.channel ?? 'pulsehub:revocations';
  const opts = { lazyConnect: true, disableClientInfo: true } as const;
  const pub = new Redis(o.redisUrl, opts);
  const sub = new Redis(o.redisUrl, opts);
  for (const r of [pub, sub]) r.on('error', (err: Error) => o.onError?.(err));
  await Promise.all([pub.connect(), sub.connect()]);
  await sub.subscribe(channel);
  sub.on('message', (ch: string, message: string) => {
    if (ch !== channel) return;
    const e = parse(message);
    if (e) emit(e);
  });
  return {
    async publish(e) {
      emit(e);
      await pub.publish(channel, JSON.stringify(e));
    },
    subscribe: (l) => void listeners.push(l),
    async close() {
      sub.disconnect();
      pub.disconnect();
    },
  };
}
