import { eq, inArray } from 'drizzle-orm';
import type { Db } from './db.js';
import { users } from './schema.js';

export interface User { id: string; name: string; birthYear: number | null; maxHr: number | null; ftpWatts: number | null; timeZone?: string | null }

/** People: athletes, coaches and admins alike (a token's subject or user). */
export interface UserRepo {
  upsert(user: { id: string; name: string; birthYear?: number | null; maxHr?: number | null }): Promise<void>;
  get(id: string): Promise<User | undefined>;
  /** The users among `ids` (one query); absent ids are left out. */
  getMany(ids: readonly string[]): Promise<User[]>;
  list(): Promise<User[]>;
  /** Creates users that do not exist yet (named by their id): a valid device token vouches for them. */
  ensure(ids: readonly string[]): Promise<void>;
  /** Sets (or clears, with null) a user's FTP; false when there is no such user. */
  setFtp(id: string, watts: number | null): Promise<boolean>;
  /** Sets (or clears) a user's IANA time zone; false when there is no such user. */
  setTimeZone(id: string, timeZone: string | null): Promise<boolean>;
}

const columns = { id: users.id, name: users.name, birthYear: users.birthYear, maxHr: users.maxHr, ftpWatts: users.ftpWatts, timeZone: users.timeZone };

export function createUserRepo(db: Db): UserRepo {
  return {
    async upsert(u) {
      const values = { id: u.id, name: u.name, birthYear: u.birthYear ?? null, maxHr: u.maxHr ?? null };
      await db.insert(users).values(values).onConflictDoUpdate({ target: users.id, set: { name: values.name, birthYear: values.birthYear, maxHr: values.maxHr } });
    },
    async get(id) {
      const [row] = await db.select(columns).from(users).where(eq(users.id, id));
      return row;
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      return db.select(columns).from(users).where(inArray(users.id, [...ids]));
    },
    async list() {
      return db.select(columns).from(users).orderBy(users.id);
    },
    async ensure(ids) {
      if (ids.length === 0) return;
      await db.insert(users).values(ids.map((id) => ({ id, name: id }))).onConflictDoNothing({ target: users.id });
    },
    async setFtp(id, watts) {
      const rows = await db.update(users).set({ ftpWatts: watts }).where(eq(users.id, id)).returning({ id: users.id });
      return rows.length > 0;
    },
    async setTimeZone(id, timeZone) {
      const rows = await db.update(users).set({ timeZone }).where(eq(users.id, id)).returning({ id: users.id });
      return rows.length > 0;
    },
  };
}
