import { eq } from 'drizzle-orm';
import type { Db } from './db.js';
import { users } from './schema.js';

export interface User { id: string; name: string; birthYear: number | null; maxHr: number | null; ftpWatts: number | null }

/** People: athletes, coaches and admins alike (a token's subject or user). */
export interface UserRepo {
  upsert(user: { id: string; name: string; birthYear?: number | null; maxHr?: number | null }): Promise<void>;
  get(id: string): Promise<User | undefined>;
  list(): Promise<User[]>;
  /** Creates users that do not exist yet (named by their id): a valid device token vouches for them. */
  ensure(ids: readonly string[]): Promise<void>;
  /** Sets (or clears, with null) a user's FTP; false when there is no such user. */
  setFtp(id: string, watts: number | null): Promise<boolean>;
}

const columns = { id: users.id, name: users.name, birthYear: users.birthYear, maxHr: users.maxHr, ftpWatts: users.ftpWatts };

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
  };
}
