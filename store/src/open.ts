import { connect, type Socket } from 'node:net';
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PulseHubError } from '@pulsehub/contracts';
import type { Sql } from 'postgres';
import * as schema from './schema.js';
import { setupStorageLayout, type StorageLayout } from './timescale.js';
import type { Db } from './db.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

export type StoreTarget =
  /** `copyBatches: false` stores every ingest batch with the one-statement path (for comparison; COPY is the default). */
  | { kind: 'postgres'; url: string; maxConnections?: number; copyBatches?: boolean }
  | { kind: 'pglite'; dataDir: string };

export interface OpenedDb {
  readonly kind: StoreTarget['kind'];
  readonly db: Db;
  /** The postgres.js client behind `db` (Postgres, unless `copyBatches` is false): the ingest writer's COPY path uses it. */
  readonly client?: Sql;
  /** TimescaleDB hypertable or a plain table, detected at migrate time. */
  readonly storage: StorageLayout;
  close(): Promise<void>;
}

/**
 * PGlite has no lock of its own: two processes opening one directory corrupt it. A pid file
 * beside the data refuses the second opener while the first is alive.
 */
function lockDataDir(dir: string): () => void {
  const lockPath = join(dir, 'pulsehub.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(lockPath, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new PulseHubError('PH_STORE_LOCKED', `${dir} is in use by PulseHub process ${pid}; stop it or choose another PULSEHUB_DATA_DIR`);
      }
      rmSync(lockPath, { force: true }); // stale lock from a crashed process
    }
  }
  throw new PulseHubError('PH_STORE_LOCKED', `could not lock ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * postgres.js connects its sockets with Nagle's algorithm on. A COPY ends with a 5-byte
 * CopyDone written after the data: with Nagle on, the kernel holds it until the data is
 * acknowledged, and a delayed ACK costs up to 40 ms per COPY. This opens the same TCP (or
 * Unix socket) connection postgres.js would, with TCP_NODELAY; postgres.js then runs its own
 * startup (and TLS) on it. Several hosts in the URL are tried in turn, as postgres.js does.
 */
function noDelaySocket(): (o: { host: string[]; port: number[]; path?: string | false }) => Socket {
  let next = 0;
  return (o) => {
    if (o.path) return connect({ path: o.path });
    const i = next++ % o.host.length;
    return connect({ host: o.host[i]!, port: o.port[i] ?? o.port[0]!, noDelay: true });
  };
}

/** Opens the database and applies the migrations (the same ones on PGlite and Postgres). */
export async function openDb(target: StoreTarget): Promise<OpenedDb> {
  if (target.kind === 'postgres') {
    const { default: postgres } = await import('postgres');
    const { drizzle } = await import('drizzle-orm/postgres-js');
    const { migrate } = await import('drizzle-orm/postgres-js/migrator');
    // `socket` is a documented postgres.js option its type declarations leave out.
    // backoff: postgres.js waits 3^n/100 s (up to 20 s) before reconnecting after the n-th
    // failed connect, and queries queue behind that wait without failing. After a 10 s outage
    // the ingest writer (retrying every ≤5 s) had run n past 15: its commits sat 20 s and more
    // after the database was back. Capped at 1 s, it resumes within a second of the database.
    const options = {
      max: target.maxConnections ?? 10, onnotice: () => {}, socket: noDelaySocket(),
      backoff: (n: number) => Math.min(0.05 * 2 ** n, 1) * (0.5 + Math.random() / 2),
    } as Parameters<typeof postgres>[1];
    const client = postgres(target.url, options);
    const db = drizzle(client, { schema });
    let storage: StorageLayout;
    try {
      await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
      storage = await setupStorageLayout(db as unknown as Db);
    } catch (cause) {
      await client.end({ timeout: 1 });
      throw new PulseHubError('PH_STORE_UNAVAILABLE', `cannot migrate ${redactUrl(target.url)}: ${(cause as Error).message}`, { cause });
    }
    return { kind: 'postgres', db: db as unknown as Db, ...(target.copyBatches === false ? {} : { client }), storage, close: () => client.end({ timeout: 5 }) };
  }
  mkdirSync(target.dataDir, { recursive: true });
  const unlock = lockDataDir(target.dataDir);
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const { drizzle } = await import('drizzle-orm/pglite');
    const { migrate } = await import('drizzle-orm/pglite/migrator');
    const client = await PGlite.create(join(target.dataDir, 'pglite'));
    const db = drizzle(client, { schema });
    await migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
    const storage = await setupStorageLayout(db as unknown as Db);
    return {
      kind: 'pglite',
      db: db as unknown as Db,
      storage,
      close: async () => {
        await client.close();
        unlock();
      },
    };
  } catch (err) {
    unlock();
    throw err;
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
