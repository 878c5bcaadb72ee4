import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, customType, date, doublePrecision, index, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

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
  /** Functional Threshold Power (W), for cycling power zones; set by the athlete or an admin. */
  ftpWatts: integer('ftp_watts'),
  /** IANA time zone of the athlete (e.g. Europe/Lisbon): goal periods are their local days. Null = UTC. */
  timeZone: text('time_zone'),
  createdAt: tz('created_at').notNull().defaultNow(),
});

export const devices = pgTable('devices', {
  id: text('id').primaryKey(),
  /** Owner for personal devices; null for gateways (they serve bound users). */
  userId: text('user_id').references(() => users.id),
  kind: text('kind').notNull(),
  model: text('model'),
  adapter: text('adapter').notNull().default('pulsehub.v1'),
  /** Adapters a payload may name besides the registered one (see ingest's adapter policy). */
  allowedAdapters: text('allowed_adapters').array(),
  createdAt: tz('created_at').notNull().defaultNow(),
  revokedAt: tz('revoked_at'),
  lastSeenAt: tz('last_seen_at'),
  /** Newest battery level a reading reported (device_battery), and when. */
  batteryPercent: integer('battery_percent'),
  batteryAt: tz('battery_at'),
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
  /** The canonical event id: with the user, the idempotency key (ids come from devices, so one user's id never shadows another's). */
  id: text('id').notNull(),
  userId: text('user_id').notNull(),
  deviceId: text('device_id').notNull(),
  metric: text('metric').notNull(),
  /** Interval readings have start < end; instants have start = end. */
  timeStart: tz('time_start').notNull(),
  timeEnd: tz('time_end').notNull(),
  values: jsonb('values').notNull(),
  series: jsonb('series'),
  /** Bounded text of a reading (a food log's description and meal), see EventNotes. */
  notes: jsonb('notes'),
  adapter: text('adapter').notNull(),
  receivedAt: tz('received_at').notNull(),
  storedAt: tz('stored_at').notNull().defaultNow(),
  /**
   * The id of the transaction that stored the row: the delta-sync cursor. Unlike stored_at
   * (the transaction's start), it can be bounded by the oldest still-running transaction, so
   * a reader never moves its cursor past a row that commits later.
   */
  txid: bigint('txid', { mode: 'number' }).notNull().default(sql`(pg_current_xact_id()::text)::bigint`),
}, (t) => [
  primaryKey({ columns: [t.userId, t.id] }),
  // "user + metric + time range" and "latest per user and metric" (DISTINCT ON / ORDER BY … DESC LIMIT 1).
  index('observations_user_metric_time_idx').on(t.userId, t.metric, t.timeEnd.desc()),
  index('observations_user_txid_idx').on(t.userId, t.txid, t.id),
]);

/**
 * One row per user and UTC day, kept up to date by the ingest writer in the same statement
 * that stores the readings (so a redelivered reading never counts twice). Resting HR and time
 * in zones need the whole day's readings: the writer bumps `hr_version` and a refresher
 * recomputes them while `hr_version > refreshed_version`.
 */
export const dailyRollups = pgTable('daily_rollups', {
  userId: text('user_id').notNull(),
  day: date('day', { mode: 'string' }).notNull(),
  steps: doublePrecision('steps').notNull().default(0),
  hrCount: integer('hr_count').notNull().default(0),
  hrSum: doublePrecision('hr_sum').notNull().default(0),
  hrMin: real('hr_min'),
  hrMax: real('hr_max'),
  restingHr: real('resting_hr'),
  /** Seconds in zones 0..5. */
  zoneSeconds: jsonb('zone_seconds').$type<number[]>(),
  maxHr: real('max_hr'),
  hrVersion: integer('hr_version').notNull().default(0),
  refreshedVersion: integer('refreshed_version').notNull().default(0),
  updatedAt: tz('updated_at').notNull().defaultNow(),
}, (t) => [
  primaryKey({ columns: [t.userId, t.day] }),
  index('daily_rollups_stale_idx').on(t.userId, t.day).where(sql`${t.hrVersion} > ${t.refreshedVersion}`),
]);

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
}, (t) => [index('dead_letters_received_idx').on(t.receivedAt), index('dead_letters_reason_idx').on(t.reason, t.id)]);

/** A coach's class: the athletes on the board and the zone floors it used; `summary` is written at the end. */
export const classSessions = pgTable('class_sessions', {
  id: text('id').primaryKey(),
  coachId: text('coach_id').notNull(),
  name: text('name').notNull(),
  athletes: jsonb('athletes').$type<string[]>().notNull(),
  zoneFloors: jsonb('zone_floors').$type<number[]>().notNull(),
  startedAt: tz('started_at').notNull().defaultNow(),
  endedAt: tz('ended_at'),
  /** The interval timer (work/rest rounds, start, stop) the coach ran, as IntervalTimer in contracts. */
  timer: jsonb('timer').$type<{ workSec: number; restSec: number; rounds: number; startedAt: string; stoppedAt: string | null }>(),
}, (t) => [index('class_sessions_coach_idx').on(t.coachId, t.startedAt.desc())]);

/** One row per athlete of an ended class session. */
export const classSessionSummaries = pgTable('class_session_summaries', {
  sessionId: text('session_id').notNull().references(() => classSessions.id),
  athleteId: text('athlete_id').notNull(),
  name: text('name').notNull(),
  avgBpm: integer('avg_bpm'),
  maxBpm: integer('max_bpm'),
  /** Seconds in zones 0..5. */
  secondsInZones: jsonb('seconds_in_zones').$type<number[]>().notNull(),
  kcal: integer('kcal').notNull(),
  effortPoints: integer('effort_points').notNull(),
  readings: integer('readings').notNull(),
}, (t) => [primaryKey({ columns: [t.sessionId, t.athleteId] })]);

/** Every change made through the admin surface (and other REST changes): who, what, when. */
export const auditLog = pgTable('audit_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  at: tz('at').notNull().defaultNow(),
  /** Subject of the token that made the change. */
  actor: text('actor').notNull(),
  actorKind: text('actor_kind').notNull(),
  /** e.g. `user.upsert`, `device.register`, `device.revoke`, `token.mint`, `token.revoke`, `consent.grant`, `consent.revoke`. */
  action: text('action').notNull(),
  target: text('target').notNull(),
  details: jsonb('details'),
}, (t) => [index('audit_log_at_idx').on(t.at.desc())]);

/**
 * Users a gateway publishes for (its token carries the same list; re-issue it after a change),
 * and the people a shared scale (`kind = 'shared_scale'`) may attribute a weigh-in to.
 */
export const gatewayUsers = pgTable('gateway_users', {
  gatewayId: text('gateway_id').notNull().references(() => devices.id),
  userId: text('user_id').notNull().references(() => users.id),
  boundAt: tz('bound_at').notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.gatewayId, t.userId] })]);

/**
 * A weigh-in from a shared scale the hub could not attribute to one of its bound users (a
 * guest, or two people too close to tell apart). Never an observation: a bound user or an
 * admin assigns it (its events are then stored for that user) or discards it. `id` is the
 * reading's event id, so a redelivered weigh-in stays one row.
 */
export const pendingReadings = pgTable('pending_readings', {
  id: text('id').primaryKey(),
  scaleId: text('scale_id').notNull(),
  /** The publisher (gateway or scale) and the topic's user, as received. */
  publisherId: text('publisher_id').notNull(),
  measuredAt: tz('measured_at').notNull(),
  kg: doublePrecision('kg'),
  impedanceOhm: doublePrecision('impedance_ohm'),
  /** `unknown` (nobody within tolerance) or `ambiguous`. */
  reason: text('reason').notNull(),
  /** The scale's bound users when it arrived: who may assign it. */
  candidates: jsonb('candidates').$type<string[]>().notNull(),
  /** The canonical events of the reading (user to be set on assignment). */
  events: jsonb('events').notNull(),
  scores: jsonb('scores'),
  receivedAt: tz('received_at').notNull().defaultNow(),
  /** `assigned` or `discarded`; null while pending. */
  resolution: text('resolution'),
  resolvedAt: tz('resolved_at'),
  resolvedBy: text('resolved_by'),
  assignedTo: text('assigned_to'),
}, (t) => [index('pending_readings_open_idx').on(t.receivedAt.desc()).where(sql`${t.resolution} is null`)]);

/**
 * Per user and LOCAL day (the athlete's `time_zone` when the day was computed) totals of the
 * metrics goals measure. Each touched day is recomputed from its readings after a commit, an
 * edit or a delete (one index-backed query per user and day), so a redelivered, edited or
 * deleted reading leaves the totals right. Goal progress reads only these rows (and
 * `daily_rollups.zone_seconds` for active minutes).
 */
export const localDailyRollups = pgTable('local_daily_rollups', {
  userId: text('user_id').notNull(),
  day: date('day', { mode: 'string' }).notNull(),
  timeZone: text('time_zone').notNull(),
  steps: doublePrecision('steps').notNull().default(0),
  workouts: integer('workouts').notNull().default(0),
  workoutMin: doublePrecision('workout_min').notNull().default(0),
  sleepMin: doublePrecision('sleep_min').notNull().default(0),
  mindfulnessMin: doublePrecision('mindfulness_min').notNull().default(0),
  weightSum: doublePrecision('weight_sum').notNull().default(0),
  weightN: integer('weight_n').notNull().default(0),
  bpN: integer('bp_n').notNull().default(0),
  bpSysSum: doublePrecision('bp_sys_sum').notNull().default(0),
  bpDiaSum: doublePrecision('bp_dia_sum').notNull().default(0),
  foodKcal: doublePrecision('food_kcal').notNull().default(0),
  updatedAt: tz('updated_at').notNull().defaultNow(),
}, (t) => [primaryKey({ columns: [t.userId, t.day] })]);

/** A person's goals (contracts/src/goals.ts). */
export const goals = pgTable('goals', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id),
  kind: text('kind').notNull(),
  frequency: text('frequency').notNull(),
  target: doublePrecision('target').notNull(),
  targetDiastolic: doublePrecision('target_diastolic'),
  direction: text('direction').notNull().default('down'),
  startDate: date('start_date', { mode: 'string' }).notNull(),
  targetDate: date('target_date', { mode: 'string' }),
  status: text('status').notNull().default('active'),
  priority: integer('priority').notNull().default(3),
  title: text('title'),
  /** Start day of the last period a `goal-reached` was sent for: one per goal and period. */
  reachedPeriod: date('reached_period', { mode: 'string' }),
  createdAt: tz('created_at').notNull().defaultNow(),
  updatedAt: tz('updated_at').notNull().defaultNow(),
}, (t) => [index('goals_user_idx').on(t.userId, t.status)]);

/**
 * Alerts and insights, one row per episode: opened by a rule (with the readings that
 * triggered it), updated while the condition holds (one open row per rule and athlete: a
 * partial unique index), resolved when it clears, acknowledged by someone allowed to see the
 * athlete. Insights are rows of severity `info`, usually resolved at once; `key` makes
 * recording one idempotent.
 */
export const alerts = pgTable('alerts', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  userId: text('user_id').notNull(),
  ruleId: text('rule_id').notNull(),
  /** `info` (insights), `warning`, `critical`. */
  severity: text('severity').notNull(),
  title: text('title').notNull(),
  detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
  /** Event ids of the readings that opened and updated it (newest last, at most 50). */
  readingIds: jsonb('reading_ids').$type<string[]>().notNull().default([]),
  /** How many times it was updated while open. */
  updates: integer('updates').notNull().default(0),
  key: text('key'),
  openedAt: tz('opened_at').notNull().defaultNow(),
  updatedAt: tz('updated_at').notNull().defaultNow(),
  resolvedAt: tz('resolved_at'),
  ackedAt: tz('acked_at'),
  ackedBy: text('acked_by'),
  ackedByKind: text('acked_by_kind'),
  /**
   * The transaction that last inserted or changed the row (a trigger keeps it on update): the
   * Home Assistant bridge follows alerts in (txid, id) order, like readings, so an alert
   * committed late never lands behind its cursor.
   */
  txid: bigint('txid', { mode: 'number' }).notNull().default(sql`(pg_current_xact_id()::text)::bigint`),
}, (t) => [
  index('alerts_user_txid_idx').on(t.userId, t.txid, t.id),
  uniqueIndex('alerts_one_open_idx').on(t.userId, t.ruleId).where(sql`${t.resolvedAt} is null`),
  uniqueIndex('alerts_key_idx').on(t.userId, t.key),
  index('alerts_user_opened_idx').on(t.userId, t.openedAt.desc()),
]);

/** A user's thresholds for a rule (and whether it is on), over the built-in defaults. */
export const alertRuleOverrides = pgTable('alert_rule_overrides', {
  userId: text('user_id').notNull(),
  ruleId: text('rule_id').notNull(),
  enabled: boolean('enabled').notNull().default(true),
  params: jsonb('params').$type<Record<string, number>>().notNull().default({}),
  updatedAt: tz('updated_at').notNull().defaultNow(),
  updatedBy: text('updated_by').notNull(),
}, (t) => [primaryKey({ columns: [t.userId, t.ruleId] })]);
// ---- outbound (issue 14): webhooks, sharing consents, the analyzer sync ----------------------

/** A webhook subscription: who it is for, where to, which events; `secret` signs each request. */
export const webhookSubscriptions = pgTable('webhook_subscriptions', {
  id: text('id').primaryKey(),
  /** The athlete whose events it carries (an admin may create one for anyone, an athlete for themself). */
  userId: text('user_id').notNull(),
  url: text('url').notNull(),
  /** Event types (`reading.stored`, `session.ended`, `alert.opened`, …; contracts WEBHOOK_EVENTS). */
  events: text('events').array().notNull(),
  /** For `reading.stored`: only these metrics (null: every metric). */
  metrics: text('metrics').array(),
  secret: text('secret').notNull(),
  active: boolean('active').notNull().default(true),
  /** Batching: wait up to this long for more entries, send at most this many in one request. */
  windowMs: integer('window_ms').notNull().default(5000),
  maxBatch: integer('max_batch').notNull().default(100),
  createdBy: text('created_by').notNull(),
  createdAt: tz('created_at').notNull().defaultNow(),
  updatedAt: tz('updated_at').notNull().defaultNow(),
}, (t) => [index('webhook_subscriptions_user_idx').on(t.userId)]);

/**
 * What is owed to a subscription, written in the same transaction as its cause (the ingest
 * batch). A `reading.stored` entry names the storing transaction (`txid`), not the readings:
 * the readings are read back (observations by user and txid) when the entry is put into a
 * delivery, which keeps the ingest side to one small insert per subscription and batch.
 */
export const webhookOutbox = pgTable('webhook_outbox', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  subscriptionId: text('subscription_id').notNull(),
  userId: text('user_id').notNull(),
  eventType: text('event_type').notNull(),
  txid: bigint('txid', { mode: 'number' }),
  /** Events other than `reading.stored` carry their payload here. */
  payload: jsonb('payload'),
  createdAt: tz('created_at').notNull().defaultNow(),
  /** Set once the entry is in a delivery. */
  deliveryId: text('delivery_id'),
}, (t) => [index('webhook_outbox_open_idx').on(t.subscriptionId, t.id).where(sql`${t.deliveryId} is null`)]);

/**
 * One HTTP request owed to a subscription (its id is the Idempotency-Key). The body is not
 * stored: it is rebuilt from the delivery's outbox entries and the readings they name (stored
 * readings do not change), so a retry sends the same bytes without the hub writing every
 * reading a second time.
 */
export const webhookDeliveries = pgTable('webhook_deliveries', {
  id: text('id').primaryKey(),
  subscriptionId: text('subscription_id').notNull(),
  userId: text('user_id').notNull(),
  /** `pending`, `delivered` or `failed`. */
  status: text('status').notNull().default('pending'),
  entries: integer('entries').notNull(),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: tz('next_attempt_at').notNull().defaultNow(),
  lastError: text('last_error'),
  lastStatus: integer('last_status'),
  lastLatencyMs: integer('last_latency_ms'),
  lastAttemptAt: tz('last_attempt_at'),
  createdAt: tz('created_at').notNull().defaultNow(),
  deliveredAt: tz('delivered_at'),
}, (t) => [
  index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
  index('webhook_deliveries_sub_idx').on(t.subscriptionId, t.createdAt.desc()),
]);

/** A person's consent to share their data with a purpose (`analyzer`, `bridge`, …); revocable like coach consents. */
export const sharingConsents = pgTable('sharing_consents', {
  userId: text('user_id').notNull(),
  purpose: text('purpose').notNull(),
  grantedBy: text('granted_by').notNull(),
  grantedAt: tz('granted_at').notNull().defaultNow(),
  revokedAt: tz('revoked_at'),
}, (t) => [primaryKey({ columns: [t.userId, t.purpose] })]);

/**
 * The Home Assistant bridge's position per consenting person (issue 14 §3): the delta-sync
 * cursor of the last reading handed to the bridge's disk queue, the metrics whose discovery
 * configs were published (cleared on revocation), and the position in the person's alerts.
 * Written in the same transaction that read the readings, after they were durable on disk.
 */
export const bridgeCursors = pgTable('bridge_cursors', {
  userId: text('user_id').primaryKey(),
  /** The HA node id of the person's device (a hash: erasure keeps it so the configs can still be cleared). */
  node: text('node').notNull(),
  txid: bigint('txid', { mode: 'number' }).notNull(),
  eventId: text('event_id').notNull(),
  metrics: jsonb('metrics').$type<string[]>().notNull().default([]),
  /** Where the alerts feed is: (txid, id) of the last alert change handed to the queue. */
  alertTxid: bigint('alert_txid', { mode: 'number' }).notNull().default(0),
  alertId: bigint('alert_id', { mode: 'number' }).notNull().default(0),
  updatedAt: tz('updated_at').notNull().defaultNow(),
});

/** One row per analyzer sync run (the cursor of the last `ok` run is where the next starts). */
export const analyzerSyncLog = pgTable('analyzer_sync_log', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  userId: text('user_id').notNull(),
  /** `schedule` or `manual`. */
  trigger: text('trigger').notNull(),
  startedAt: tz('started_at').notNull().defaultNow(),
  finishedAt: tz('finished_at'),
  /** `running`, `ok` or `failed`. */
  status: text('status').notNull().default('running'),
  count: integer('count').notNull().default(0),
  cursorBefore: jsonb('cursor_before').$type<{ txid: number; id: string } | null>(),
  cursorAfter: jsonb('cursor_after').$type<{ txid: number; id: string } | null>(),
  insights: integer('insights').notNull().default(0),
  error: text('error'),
}, (t) => [
  index('analyzer_sync_log_user_idx').on(t.userId, t.id.desc()),
  // One run per user at a time, across nodes.
  uniqueIndex('analyzer_sync_log_running_idx').on(t.userId).where(sql`${t.status} = 'running'`),
]);

/**
 * Insights the analyzer answered with. Its own table while there is no alerts/insights table;
 * the columns are those an alerts table needs (kind, severity, title, body, metric, at), so it
 * can be folded into one later.
 */
export const analyzerInsights = pgTable('analyzer_insights', {
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  userId: text('user_id').notNull(),
  syncId: bigint('sync_id', { mode: 'number' }),
  kind: text('kind').notNull(),
  /** `info`, `warning` or `critical`. */
  severity: text('severity').notNull(),
  title: text('title').notNull(),
  body: text('body').notNull(),
  metric: text('metric'),
  at: tz('at'),
  createdAt: tz('created_at').notNull().defaultNow(),
}, (t) => [index('analyzer_insights_user_idx').on(t.userId, t.id.desc())]);
