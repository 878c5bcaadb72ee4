import { z } from 'zod';
import { CanonicalEventBase } from './event.js';
import { ClassSessionInfo, IntervalTimer, SessionTally } from './ws.js';
import { GoalJson, GoalProgress } from './goals.js';
import { AlertJson, AlertRuleJson } from './alerts.js';

/**
 * The JSON answers of the REST API that pages and clients read: one schema each, so the routes
 * and the pages cannot drift apart (web/test/rest-shapes.test.ts parses each route's real answer
 * with its schema). Instants travel as ISO 8601 strings. Pages import only the types
 * (`import type`), so no schema code reaches their bundle.
 */
const Instant = z.iso.datetime({ offset: true });

// --- users, profiles, athletes ---

export const UserJson = z.object({
  id: z.string(),
  name: z.string(),
  birthYear: z.number().int().nullable(),
  maxHr: z.number().int().nullable(),
  /** Functional Threshold Power (W), for cycling power zones. */
  ftpWatts: z.number().int().nullable(),
  /** IANA time zone (goal periods are its local days); null = UTC. */
  /** IANA time zone of the athlete's day; null means UTC. */
  timeZone: z.string().nullable().optional(),
});
export type UserJson = z.infer<typeof UserJson>;

/** GET /api/admin/users */
export const AdminUsersResponse = z.object({ users: z.array(UserJson) });
export type AdminUsersResponse = z.infer<typeof AdminUsersResponse>;

/** GET and PATCH /api/users/:id/profile */
export const ProfileResponse = z.object({ profile: UserJson });
export type ProfileResponse = z.infer<typeof ProfileResponse>;

/** GET /api/athletes: the athletes the caller may see. */
export const AthletesResponse = z.object({ athletes: z.array(z.object({ id: z.string(), name: z.string() })) });
export type AthletesResponse = z.infer<typeof AthletesResponse>;

// --- devices and tokens ---

export const DeviceJson = z.object({
  id: z.string(),
  userId: z.string().nullable(),
  kind: z.string(),
  model: z.string().nullable(),
  adapter: z.string(),
  revokedAt: Instant.nullable(),
  lastSeenAt: Instant.nullable(),
  /** Newest reported battery level (percent). */
  battery: z.number().nullable(),
  batteryAt: Instant.nullable(),
  /** Bound users (gateways, shared scales); [userId] for a personal device. */
  users: z.array(z.string()),
});
export type DeviceJson = z.infer<typeof DeviceJson>;

/** GET /api/devices */
export const DevicesResponse = z.object({ devices: z.array(DeviceJson) });
export type DevicesResponse = z.infer<typeof DevicesResponse>;

/** POST /api/devices by an admin: the device as registered and its MQTT credentials. */
export const DeviceRegisteredResponse = z.object({
  device: z.object({ id: z.string(), userId: z.string(), kind: z.string(), model: z.string().optional(), adapter: z.string().optional() }),
  mqtt: z.object({ username: z.string(), password: z.string(), topic: z.string() }),
  jti: z.string(),
});
export type DeviceRegisteredResponse = z.infer<typeof DeviceRegisteredResponse>;

/** POST /api/phone-devices: a phone registered as the athlete's device, its token and the app's address with it. */
export const PhoneDeviceResponse = DeviceRegisteredResponse.extend({ url: z.string() });
export type PhoneDeviceResponse = z.infer<typeof PhoneDeviceResponse>;

/** POST /api/tokens */
export const MintedTokenResponse = z.object({ token: z.string(), jti: z.string(), expiresAt: z.number().optional() });
export type MintedTokenResponse = z.infer<typeof MintedTokenResponse>;

/** POST /api/overlay-tokens: an overlay token and the overlay page's address with it. */
export const OverlayTokenResponse = MintedTokenResponse.extend({ athleteId: z.string(), url: z.string() });
export type OverlayTokenResponse = z.infer<typeof OverlayTokenResponse>;

export const TokenJson = z.object({
  jti: z.string(),
  subject: z.string(),
  kind: z.string(),
  createdAt: Instant,
  expiresAt: Instant.nullable(),
  revokedAt: Instant.nullable(),
});
export type TokenJson = z.infer<typeof TokenJson>;

/** GET /api/admin/tokens */
export const AdminTokensResponse = z.object({ tokens: z.array(TokenJson) });
export type AdminTokensResponse = z.infer<typeof AdminTokensResponse>;

// --- consents, audit, dead letters ---

export const ConsentJson = z.object({ athleteId: z.string(), viewerId: z.string(), grantedAt: Instant, revokedAt: Instant.nullable() });
export type ConsentJson = z.infer<typeof ConsentJson>;

/** GET /api/admin/consents */
export const AdminConsentsResponse = z.object({ consents: z.array(ConsentJson) });
export type AdminConsentsResponse = z.infer<typeof AdminConsentsResponse>;

export const AuditJson = z.object({
  id: z.number().int(),
  at: Instant,
  actor: z.string(),
  actorKind: z.string(),
  action: z.string(),
  target: z.string(),
  details: z.unknown().optional(),
});
export type AuditJson = z.infer<typeof AuditJson>;

/** GET /api/admin/audit */
export const AdminAuditResponse = z.object({ audit: z.array(AuditJson) });
export type AdminAuditResponse = z.infer<typeof AdminAuditResponse>;

export const DeadLetterJson = z.object({
  id: z.number().int(),
  topic: z.string(),
  deviceId: z.string().nullable(),
  userId: z.string().nullable(),
  /** A catalog code (docs/errors.md). */
  reason: z.string(),
  detail: z.string(),
  /** The payload as received, base64. */
  payload: z.string(),
  receivedAt: Instant,
  replayedAt: Instant.nullable(),
});
export type DeadLetterJson = z.infer<typeof DeadLetterJson>;

/** GET /api/deadletters */
export const DeadLettersResponse = z.object({ deadLetters: z.array(DeadLetterJson) });
export type DeadLettersResponse = z.infer<typeof DeadLettersResponse>;

// --- history ---

export const HistoryBucket = z.object({
  /** Start of the bucket. */
  t: z.union([Instant, z.number()]),
  min: z.number(),
  avg: z.number(),
  max: z.number(),
  n: z.number().int(),
});
export type HistoryBucket = z.infer<typeof HistoryBucket>;

/** GET /api/users/:id/observations?…&bucket= */
export const BucketsResponse = z.object({
  userId: z.string(),
  metric: z.string(),
  component: z.string(),
  unit: z.string().optional(),
  bucketSeconds: z.number(),
  buckets: z.array(HistoryBucket),
});
export type BucketsResponse = z.infer<typeof BucketsResponse>;

/** GET /api/users/:id/observations/latest: the newest event per metric. */
export const LatestResponse = z.object({ userId: z.string(), events: z.array(CanonicalEventBase) });
export type LatestResponse = z.infer<typeof LatestResponse>;

export const DailyJson = z.object({
  day: z.iso.date(),
  steps: z.number(),
  heartRate: z.object({ n: z.number(), avg: z.number().nullable(), min: z.number().nullable(), max: z.number().nullable(), resting: z.number().nullable() }).nullable(),
  zones: z.object({ maxHr: z.number(), seconds: z.array(z.number()) }).nullable(),
  /** False while resting HR and zones wait for the refresher. */
  current: z.boolean(),
});
export type DailyJson = z.infer<typeof DailyJson>;

/** GET /api/users/:id/daily */
export const DailyResponse = z.object({ userId: z.string(), days: z.array(DailyJson) });
export type DailyResponse = z.infer<typeof DailyResponse>;

// --- class sessions ---

export const ClassSummaryJson = z.object({
  sessionId: z.string(),
  athleteId: z.string(),
  name: z.string(),
  avgBpm: z.number().nullable(),
  maxBpm: z.number().nullable(),
  secondsInZones: z.array(z.number()),
  kcal: z.number(),
  effortPoints: z.number(),
  readings: z.number().int(),
});
export type ClassSummaryJson = z.infer<typeof ClassSummaryJson>;

/** POST /api/sessions */
export const SessionStartedResponse = z.object({ session: ClassSessionInfo });
export type SessionStartedResponse = z.infer<typeof SessionStartedResponse>;

/** GET /api/sessions */
export const SessionsResponse = z.object({ sessions: z.array(ClassSessionInfo) });
export type SessionsResponse = z.infer<typeof SessionsResponse>;

/** GET /api/sessions/:id: stored summaries once ended, live tallies before. */
export const SessionResponse = z.object({ session: ClassSessionInfo, summaries: z.array(ClassSummaryJson).optional(), tallies: z.array(SessionTally).optional() });
export type SessionResponse = z.infer<typeof SessionResponse>;

/** POST and DELETE /api/sessions/:id/timer */
export const TimerResponse = z.object({ timer: IntervalTimer.nullable() });
export type TimerResponse = z.infer<typeof TimerResponse>;

/** GET /api/my-class-timers: the running interval timers of the open classes the caller (an athlete, or their device) is in. */
export const MyClassTimersResponse = z.object({ timers: z.array(z.object({ session: z.string(), name: z.string(), timer: IntervalTimer })) });
export type MyClassTimersResponse = z.infer<typeof MyClassTimersResponse>;

// --- shared scales ---

/** A weigh-in waiting for a person to say whose it is. */
export const PendingReadingJson = z.object({
  id: z.string(),
  scaleId: z.string(),
  measuredAt: Instant,
  kg: z.number().nullable(),
  impedanceOhm: z.number().nullable(),
  reason: z.string(),
  candidates: z.array(z.string()),
  receivedAt: Instant,
});
export type PendingReadingJson = z.infer<typeof PendingReadingJson>;

/** GET /api/pending-readings and /api/users/:id/pending-readings */
export const PendingReadingsResponse = z.object({ pending: z.array(PendingReadingJson) });
export type PendingReadingsResponse = z.infer<typeof PendingReadingsResponse>;

// --- manual entries and goals ---

/** The record kinds a person may log by hand (`POST /api/users/:id/manual`). */
export const MANUAL_METRICS = ['blood_pressure', 'body_weight', 'blood_glucose', 'body_temperature', 'workout', 'food', 'sleep', 'mindfulness', 'timer_session'] as const;
export type ManualMetric = (typeof MANUAL_METRICS)[number];

/** POST, GET one and PUT /api/users/:id/manual[/:entryId] */
export const ManualEntryResponse = z.object({ entry: CanonicalEventBase, created: z.boolean().optional() });
export type ManualEntryResponse = z.infer<typeof ManualEntryResponse>;

/** GET /api/users/:id/manual?metric&limit&page */
export const ManualEntriesResponse = z.object({ userId: z.string(), entries: z.array(CanonicalEventBase), next: z.string().nullable() });
export type ManualEntriesResponse = z.infer<typeof ManualEntriesResponse>;

/** POST, GET one, PUT /api/users/:id/goals[/:goalId] */
export const GoalResponse = z.object({ goal: GoalJson });
export type GoalResponse = z.infer<typeof GoalResponse>;

/** GET /api/users/:id/goals */
export const GoalsResponse = z.object({ goals: z.array(GoalJson) });
export type GoalsResponse = z.infer<typeof GoalsResponse>;

/** GET /api/users/:id/goals/:goalId/progress?from&to */
export const GoalProgressResponse = GoalProgress;
export type GoalProgressResponse = z.infer<typeof GoalProgressResponse>;
// --- a person's data out, and erased ---

/** POST /api/users/:id/erasure-confirmation: send `token` back in X-Erasure-Confirmation within `expiresAt`. */
export const ErasureConfirmationResponse = z.object({ userId: z.string(), token: z.string(), expiresAt: z.string() });
export type ErasureConfirmationResponse = z.infer<typeof ErasureConfirmationResponse>;

/** DELETE /api/users/:id: what was deleted (or scrubbed), per table; no health data. */
export const ErasureResponse = z.object({ userId: z.string(), erased: z.literal(true), counts: z.record(z.string(), z.number().int()) });
export type ErasureResponse = z.infer<typeof ErasureResponse>;
// --- alerts and insights ---

/** GET /api/users/:id/alerts */
export const AlertsResponse = z.object({ alerts: z.array(AlertJson) });
export type AlertsResponse = z.infer<typeof AlertsResponse>;

/** POST /api/users/:id/alerts/:alertId/ack */
export const AlertResponse = z.object({ alert: AlertJson });
export type AlertResponse = z.infer<typeof AlertResponse>;

/** GET /api/users/:id/alert-rules, PUT/DELETE /api/users/:id/alert-rules/:ruleId */
export const AlertRulesResponse = z.object({ rules: z.array(AlertRuleJson) });
export type AlertRulesResponse = z.infer<typeof AlertRulesResponse>;

export const CorrelationJson = z.object({
  /** e.g. `sleep-vs-next-day-resting-hr`. */
  id: z.string(),
  description: z.string(),
  n: z.number().int(),
  /** Pearson's r; null when there is not enough data (n below `minN`) or a side does not vary. */
  r: z.number().nullable(),
  minN: z.number().int(),
  status: z.enum(['ok', 'not-enough-data']),
});
export type CorrelationJson = z.infer<typeof CorrelationJson>;

/** GET /api/users/:id/insights */
export const InsightsResponse = z.object({
  userId: z.string(),
  /** The last day the figures cover (UTC). */
  asOf: z.string(),
  trend: z.object({
    restingHr: z.object({
      recentMean: z.number().nullable(), recentDays: z.number().int(),
      baselineMean: z.number().nullable(), baselineDays: z.number().int(), delta: z.number().nullable(),
    }),
  }),
  weekly: z.object({
    from: z.string(), to: z.string(),
    steps: z.number(), stepsPreviousWeek: z.number(),
    avgRestingHr: z.number().nullable(),
    alertsOpened: z.number().int(),
  }),
  correlations: z.array(CorrelationJson),
  /** Recent insight rows (severity info). */
  insights: z.array(AlertJson),
});
// --- outbound (issue 14): webhooks, the analyzer sync, insights ---

export const WebhookJson = z.object({
  id: z.string(), userId: z.string(), url: z.string(), events: z.array(z.string()), metrics: z.array(z.string()).nullable(),
  active: z.boolean(), windowMs: z.number().int(), maxBatch: z.number().int(), createdBy: z.string(), createdAt: Instant, updatedAt: Instant,
});
export type WebhookJson = z.infer<typeof WebhookJson>;

export const WebhookDeliveryJson = z.object({
  id: z.string(), subscriptionId: z.string(), userId: z.string(), status: z.enum(['pending', 'delivered', 'failed']), entries: z.number().int(),
  attempts: z.number().int(), nextAttemptAt: Instant, lastError: z.string().nullable(), lastStatus: z.number().int().nullable(),
  lastLatencyMs: z.number().int().nullable(), lastAttemptAt: Instant.nullable(), createdAt: Instant, deliveredAt: Instant.nullable(),
});
export type WebhookDeliveryJson = z.infer<typeof WebhookDeliveryJson>;

/** GET /api/webhooks */
export const WebhooksResponse = z.object({ webhooks: z.array(WebhookJson) });
export type WebhooksResponse = z.infer<typeof WebhooksResponse>;
/** POST /api/webhooks (the secret, once) */
export const WebhookCreatedResponse = z.object({ webhook: WebhookJson, secret: z.string() });
export type WebhookCreatedResponse = z.infer<typeof WebhookCreatedResponse>;
/** GET /api/webhooks/:id */
export const WebhookDetailResponse = z.object({ webhook: WebhookJson, deliveries: z.array(WebhookDeliveryJson) });
export type WebhookDetailResponse = z.infer<typeof WebhookDetailResponse>;

const Cursor = z.object({ txid: z.number(), id: z.string() }).nullable();
export const SyncRunJson = z.object({
  id: z.number().int(), userId: z.string(), trigger: z.string(), startedAt: Instant, finishedAt: Instant.nullable(), status: z.enum(['running', 'ok', 'failed']),
  count: z.number().int(), cursorBefore: Cursor, cursorAfter: Cursor, insights: z.number().int(), error: z.string().nullable(),
});
export type SyncRunJson = z.infer<typeof SyncRunJson>;
/** GET /api/admin/sync-log */
export const SyncLogResponse = z.object({ runs: z.array(SyncRunJson) });
export type SyncLogResponse = z.infer<typeof SyncLogResponse>;

export const InsightJson = z.object({
  id: z.number().int(), userId: z.string(), syncId: z.number().int().nullable(), kind: z.string(), severity: z.string(), title: z.string(), body: z.string(),
  metric: z.string().nullable(), at: Instant.nullable(), createdAt: Instant,
});
export type InsightJson = z.infer<typeof InsightJson>;
/** GET /api/users/:id/analyzer-insights */
export const AnalyzerInsightsResponse = z.object({ insights: z.array(InsightJson) });
export type AnalyzerInsightsResponse = z.infer<typeof AnalyzerInsightsResponse>;
