import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { devices, gatewayUsers, tokens } from './schema.js';

/** A registered device: the one device shape of the store (ingest, web and the broker read it). */
export interface Device {
  id: string;
  userId: string | null;
  kind: string;
  model: string | null;
  /** The adapter its readings go through unless a payload names another it may use. */
  adapter: string;
  /** Adapters a payload may name besides the registered one (see ingest's adapter policy). */
  allowedAdapters: string[] | null;
  createdAt: Date;
  revokedAt: Date | null;
  lastSeenAt: Date | null;
  /** Newest reported battery level (percent), when any reading reported one. */
  battery: number | null;
  batteryAt: Date | null;
  /** Bound users (gateways, shared scales); [userId] for a personal device. */
  users: string[];
}

export interface DeviceInput {
  id: string;
  userId: string | null;
  kind: string;
  model?: string | null;
  adapter?: string;
  allowedAdapters?: readonly string[] | null;
}

/** Devices, their user bindings (gateways, shared scales) and their revocation. */
export interface DeviceRepo {
  /** Creates a device, or updates a live one of the same owner; false (nothing written) when it exists under another owner, as another sort of device, or revoked. */
  upsert(device: DeviceInput): Promise<boolean>;
  get(id: string): Promise<Device | undefined>;
  list(): Promise<Device[]>;
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

export function createDeviceRepo(db: Db): DeviceRepo {
  const withUsers = async (rows: (typeof devices.$inferSelect)[]): Promise<Device[]> => {
    // Only bound kinds have bindings: a personal device (ingest's lookup) costs one query.
    const ids = rows.filter((r) => BOUND_KINDS.has(r.kind)).map((r) => r.id);
    const bindings = ids.length ? await db.select().from(gatewayUsers).where(inArray(gatewayUsers.gatewayId, ids)).orderBy(asc(gatewayUsers.userId)) : [];
    return rows.map((r) => ({
      id: r.id, userId: r.userId, kind: r.kind, model: r.model, adapter: r.adapter, allowedAdapters: r.allowedAdapters, createdAt: r.createdAt,
      revokedAt: r.revokedAt, lastSeenAt: r.lastSeenAt, battery: r.batteryPercent, batteryAt: r.batteryAt,
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
    async upsert(d) {
      const values = { id: d.id, userId: d.userId, kind: d.kind, model: d.model ?? null, adapter: d.adapter ?? 'pulsehub.v1', allowedAdapters: d.allowedAdapters ? [...d.allowedAdapters] : null };
      // Never a takeover nor an un-revoke: an existing row is updated only while it is live, has
      // the same owner and is the same sort of device (gateway or not). Restoring a revoked
      // device is the explicit `restore`.
      const rows = await db.insert(devices).values(values).onConflictDoUpdate({
        target: devices.id,
        set: { model: values.model, adapter: values.adapter, allowedAdapters: values.allowedAdapters },
        setWhere: sql`${devices.revokedAt} is null and ${devices.userId} is not distinct from ${values.userId} and (${devices.kind} = 'gateway') = (${values.kind} = 'gateway')`,
      }).returning({ id: devices.id });
      return rows.length > 0;
    },
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
