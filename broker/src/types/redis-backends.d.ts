// mqemitter-redis and aedes-persistence-redis ship no types; these are the parts we use.
declare module 'mqemitter-redis' {
  import type { Redis } from 'ioredis';
  interface MQEmitterRedisOptions {
    subConn?: Redis;
    pubConn?: Redis;
    host?: string;
    port?: number;
    db?: number;
    keyPrefix?: string;
    disableClientInfo?: boolean;
  }
  interface MQEmitterRedis {
    close(cb: () => void): void;
    state: import('node:events').EventEmitter;
  }
  function mqemitterRedis(opts: MQEmitterRedisOptions): MQEmitterRedis;
  export default mqemitterRedis;
}

declare module 'aedes-persistence-redis' {
  import type { Redis } from 'ioredis';
  interface PersistenceRedisOptions {
    conn?: Redis;
    host?: string;
    port?: number;
    maxSessionDelivery?: number;
    packetTTL?: () => number;
  }
  interface PersistenceRedis {
    destroy(): Promise<void>;
  }
  function persistenceRedis(opts: PersistenceRedisOptions): PersistenceRedis;
  export default persistenceRedis;
}
