import { sql } from 'drizzle-orm';
import { bigserial, customType, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});

const tz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  birthYear: integer('birth_year'),
  maxHr: integer('max_hr'),
  createdAt: tz('created_at').notNull().defaultNow(),
});

export const devices = pgTable('devices', {
  id: text('id').primaryKey(),
  /** Owner for personal devices; null for gateways (they serve bound users). */
  userId: text('user_id').references(() => users.id),
  kind: text('kind').notNull(),
  model: text('model'),
  adapter: text('adapter').notNull().default('pulsehub.v1'),
  createdAt: tz('created_at').notNull().defaultNow(),
  revokedAt: tz('revoked_at'),
  lastSeenAt: tz('last_seen_at'),
});

export const tokens = pgTable('tokens', {
  jti: text('jti').primaryKey(),
  subject: text('subject').notNull(),
  kind: text('kind').notNull(),
  createdAt: tz('created_at').notNull().defaultNow(),
  expiresAt: tz('expires_at'),
  revokedAt: tz('revoked_at'),
}, (t) => [index('tokens_subject_idx').on(t.subject)]);

export const consents = pgTable('consents', {
  athleteId: text('athlete_id').notNull().references(() => users.id),
  viewerId: text('viewer_id').notNull(),
  grantedAt: tz('granted_at').notNull().defaultNow(),
  revokedAt: tz('revoked_at'),
}, (t) => [primaryKey({ columns: [t.athleteId, t.viewerId] }), index('consents_viewer_idx').on(t.viewerId)]);

export const observations = pgTable('observations', {
  /** The canonical event id: the idempotency key. */
  id: text('id').primaryKey(),
  userId: text('user_id').notNull(),
  deviceId: text('device_id').notNull(),
  metric: text('metric').notNull(),
  /** Interval readings have start < end; instants have start = end. */
  timeStart: tz('time_start').notNull(),
  timeEnd: tz('time_end').notNull(),
  values: jsonb('values').notNull(),
  series: jsonb('series'),
  adapter: text('adapter').notNull(),
  receivedAt: tz('received_at').notNull(),
  storedAt: tz('stored_at').notNull().defaultNow(),
}, (t) => [index('observations_user_metric_time_idx').on(t.userId, t.metric, t.timeEnd.desc())]);

export const deadLetters = pgTable('dead_letters', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  receivedAt: tz('received_at').notNull().default(sql`now()`),
  topic: text('topic').notNull(),
  deviceId: text('device_id'),
  userId: text('user_id'),
  reason: text('reason').notNull(),
  detail: text('detail').notNull(),
  payload: bytea('payload').notNull(),
  replayedAt: tz('replayed_at'),
}, (t) => [index('dead_letters_received_idx').on(t.receivedAt)]);
