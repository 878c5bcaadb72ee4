import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { devices, gatewayUsers, tokens } from './schema.js';

export interface RegisteredDevice {
  id: string;
  userId: string | null;
  kind: string;
  model: string | null;
  adapter: string;
  revokedAt: Date | null;
  lastSeenAt: Date | null;
  /** Newest reported battery level (percent), when any reading reported one. */
  battery: number | null;
  batteryAt: Date | null;
  /** Bound users (gateways, shared scales); [userId] for a personal device. */
  users: string[];
}

/** The device registry: devices, gateway bindings, and their tokens (for revocation). */
export interface DeviceRegistry {
  list(): Promise<RegisteredDevice[]>;
  get(id: string): Promise<RegisteredDevice | undefined>;
  /** Replaces a gateway's bound users. */
  bindGateway(gatewayId: string, userIds: readonly string[]): Promise<void>;
  /** Replaces a shared scale's bound users (the same bindings as a gateway's). */
  bindUsers(deviceId: string, userIds: readonly string[]): Promise<void>;
  /** Marks the device revoked and revokes every recorded token of it; returns those token ids. */
  revoke(id: string): Promise<string[]>;
  /** Clears a device's revocation (an admin's explicit action); its old tokens stay revoked. Returns whether it was revoked. */
  restore(id: string): Promise<boolean>;
  /** Records that devices were heard from (and their battery, when a reading reported it). */
  touch(seen: readonly { id: string; at: Date; battery?: number }[]): Promise<void>;
}

/** Device kinds that serve several users through bindings rather than one owner. */
export const BOUND_KINDS: ReadonlySet<string> = new Set(['gateway', 'shared_scale']);

export function createRegistry(db: Db): DeviceRegistry {
  const withUsers = async (rows: (typeof devices.$inferSelect)[]): Promise<RegisteredDevice[]> => {
    const ids = rows.map((r) => r.id);
    const bindings = ids.length ? await db.select().from(gatewayUsers).where(inArray(gatewayUsers.gatewayId, ids)).orderBy(asc(gatewayUsers.userId)) : [];
    return rows.map((r) => ({
      id: r.id, userId: r.userId, kind: r.kind, model: r.model, adapter: r.adapter, revokedAt: r.revokedAt, lastSeenAt: r.lastSeenAt, battery: r.batteryPercent, batteryAt: r.batteryAt,
      users: BOUND_KINDS.has(r.kind) ? bindings.filter((b) => b.gatewayId === r.id).map((b) => b.userId) : r.userId ? [r.userId] : [],
    }));
  };
  const bindUsers = async (deviceId: string, userIds: readonly string[]) => {
    await db.transaction(async (tx) => {
      await tx.delete(gatewayUsers).where(eq(gatewayUsers.gatewayId, deviceId));
      if (userIds.length) await tx.insert(gatewayUsers).values(userIds.map((userId) => ({ gatewayId: deviceId, userId })));
    });
  };
  return {
    async touch(seen) {
      if (seen.length === 0) return;
      const json = JSON.stringify(seen.map((x) => ({ id: x.id, at: x.at.toISOString(), battery: x.battery ?? null })));
      await db.execute(sql`
        update devices d set
          last_seen_at = greatest(d.last_seen_at, v.at),
          battery_percent = coalesce(v.battery, d.battery_percent),
          battery_at = case when v.battery is null then d.battery_at else v.at end
        from json_to_recordset(${json}::json) as v(id text, at timestamptz, battery int)
        where d.id = v.id`);
    },
    async list() {
      return withUsers(await db.select().from(devices).orderBy(asc(devices.id)));
    },
    async get(id) {
      const [row] = await withUsers(await db.select().from(devices).where(eq(devices.id, id)));
      return row;
    },
    bindGateway: (gatewayId, userIds) => bindUsers(gatewayId, userIds),
    bindUsers: (deviceId, userIds) => bindUsers(deviceId, userIds),
    async restore(id) {
      const rows = await db.update(devices).set({ revokedAt: null }).where(and(eq(devices.id, id), sql`${devices.revokedAt} is not null`)).returning({ id: devices.id });
      return rows.length > 0;
    },
    async revoke(id) {
      const now = new Date();
      await db.update(devices).set({ revokedAt: now }).where(eq(devices.id, id));
      const rows = await db.update(tokens).set({ revokedAt: now }).where(and(eq(tokens.subject, id), isNull(tokens.revokedAt))).returning({ jti: tokens.jti });
      return rows.map((r) => r.jti);
    },
  };
}
