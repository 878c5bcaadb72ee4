import { z } from 'zod';
import { ID_PATTERN, UserId } from './ids.js';
import { CanonicalEventBase } from './event.js';
import { GOAL_KINDS, GoalPeriod } from './goals.js';
import { AlertChange, AlertJson } from './alerts.js';

/**
 * The live WebSocket protocol (path `/live`). JSON text frames, one message each.
 *
 * Client → server: `auth` (unless `?token=` was given), `subscribe` (athletes and/or a class
 * session, optionally with a resume cursor per athlete), `unsubscribe`, `ping`.
 * Server → client: `ready`, `subscribed`, `snapshot` (latest values on subscribe), then
 * deltas: `event`, `tally` (class-session totals), `timer` (interval timer), `state`
 * (live/stale/lost), `battery`, `alert` (a rule opened, updated, resolved or an alert was acknowledged);
 * `heartbeat` every `heartbeatMs`; `revoked`, `session`, `error`, `pong`.
 */

export const SessionId = z.string().regex(ID_PATTERN, { error: 'session id: 1-64 chars of A-Z a-z 0-9 _ . -' });
export type SessionId = z.infer<typeof SessionId>;

/** Per-athlete signal state, from the silence since the hub last received a reading. */
export const SIGNAL_STATES = ['live', 'stale', 'lost'] as const;
export const SignalState = z.enum(SIGNAL_STATES);
export type SignalState = z.infer<typeof SignalState>;

/**
 * Resume cursor: per athlete, the `source.receivedAt` of the newest event the client already
 * has. On (re)subscribe the snapshot then carries only newer events, so nothing is replayed.
 */
export const ResumeCursor = z.record(UserId, z.iso.datetime({ offset: true }));
export type ResumeCursor = z.infer<typeof ResumeCursor>;

export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(8192) }),
  z.object({
    type: z.literal('subscribe'),
    athletes: z.array(UserId).max(500).default([]),
    /** Subscribe to every athlete of a class session (and get its `tally` messages). */
    session: SessionId.optional(),
    resume: ResumeCursor.optional(),
  }).refine((m) => m.athletes.length > 0 || m.session !== undefined, { error: 'name athletes or a session' }),
  z.object({ type: z.literal('unsubscribe'), athletes: z.array(UserId).max(500).default([]), session: SessionId.optional() }),
  z.object({ type: z.literal('ping'), id: z.string().max(64).optional() }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type ClientMessageInput = z.input<typeof ClientMessage>;

/** Heart-rate context the hub derives once per reading (zones use the hub's default floors). */
export const HrDerived = z.object({
  maxHr: z.number(),
  /** bpm / max HR × 100, rounded to one decimal. */
  pctMax: z.number(),
  /** 0 (below zone 1) .. 5. */
  zone: z.number().int().min(0).max(5),
});
export type HrDerived = z.infer<typeof HrDerived>;

/** Cycling power context the hub derives from the athlete's FTP (Coggan levels 1..7). */
export const PowerDerived = z.object({
  /** The athlete's Functional Threshold Power (W). */
  ftp: z.number(),
  /** watts / FTP × 100, rounded to a whole percent. */
  pctFtp: z.number(),
  zone: z.number().int().min(1).max(7),
});
export type PowerDerived = z.infer<typeof PowerDerived>;

/** Running totals of one athlete in a class session (computed by the hub, stored at the end). */
export const SessionTally = z.object({
  session: SessionId,
  athlete: UserId,
  bpm: z.number().nullable(),
  pctMax: z.number().nullable(),
  zone: z.number().int().min(0).max(5).nullable(),
  avgBpm: z.number().nullable(),
  maxBpm: z.number().nullable(),
  /** Seconds in zones 0..5. */
  secondsInZones: z.array(z.number()).length(6),
  kcal: z.number(),
  effortPoints: z.number(),
  /**
   * Instant (epoch ms, of the reading) when `effortPoints` reached its current value: equal
   * totals rank by who got there first, the same on every board.
   */
  effortSince: z.number().nullable().optional(),
});
export type SessionTally = z.infer<typeof SessionTally>;

export const AthleteProfile = z.object({
  maxHr: z.number(),
  /** `measured` (the user's max HR), `age` (Tanaka from birth year) or `default` (age 35 assumed). */
  maxHrSource: z.enum(['measured', 'age', 'default']),
  /** Functional Threshold Power (W), when the athlete set one. */
  ftpWatts: z.number().nullable().optional(),
});
export type AthleteProfile = z.infer<typeof AthleteProfile>;

/**
 * A class's interval timer: `rounds` of `workSec` work then `restSec` rest, from `startedAt`
 * (the hub's clock). Kept with the class session; `stoppedAt` is set when the coach stops it.
 */
export const IntervalTimer = z.object({
  workSec: z.number().int().min(5).max(3600),
  restSec: z.number().int().min(0).max(3600),
  rounds: z.number().int().min(1).max(100),
  startedAt: z.string(),
  stoppedAt: z.string().nullable(),
});
export type IntervalTimer = z.infer<typeof IntervalTimer>;

export const ClassSessionInfo = z.object({
  id: SessionId,
  coachId: z.string(),
  name: z.string(),
  athletes: z.array(UserId),
  /** Lower bounds of zones 1..5 as fractions of max HR. */
  zoneFloors: z.array(z.number()).length(5),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  /** The interval timer the coach last started (or stopped), if any. */
  timer: IntervalTimer.nullable().optional(),
});
export type ClassSessionInfo = z.infer<typeof ClassSessionInfo>;

/** Progress of one goal changed (after a reading was stored): its current period and streak. */
export const GoalMessage = z.object({
  type: z.literal('goal'),
  athlete: UserId,
  goalId: z.string(),
  kind: z.enum(GOAL_KINDS),
  period: GoalPeriod,
  streak: z.number().int(),
});
export type GoalMessage = z.infer<typeof GoalMessage>;

/** A stored reading completed a goal's period (sent once per goal and period). */
export const GoalReachedMessage = z.object({
  type: z.literal('goal-reached'),
  athlete: UserId,
  goalId: z.string(),
  kind: z.enum(GOAL_KINDS),
  period: GoalPeriod,
  streak: z.number().int(),
  /** The hub's clock when it noticed. */
  at: z.string(),
});
export type GoalReachedMessage = z.infer<typeof GoalReachedMessage>;

/** An analyzer insight as carried live (issue 14): to viewers, and between web nodes. */
export const AnalyzerInsightJson = z.object({ id: z.number().int(), kind: z.string(), severity: z.string(), title: z.string(), body: z.string(), metric: z.string().nullable(), at: z.string().nullable(), createdAt: z.string() });
export type AnalyzerInsightJson = z.infer<typeof AnalyzerInsightJson>;

export const ServerMessage = z.discriminatedUnion('type', [
  GoalMessage,
  GoalReachedMessage,
  z.object({
    type: z.literal('ready'),
    subject: z.string(),
    kind: z.string(),
    athletes: z.array(UserId),
    /** A tile goes `lost` after this much silence… */
    silenceMs: z.number(),
    /** …and `stale` after this much. */
    staleMs: z.number(),
    /** The server sends a `heartbeat` at least this often; twice that without a frame means the link is dead. */
    heartbeatMs: z.number(),
    zoneFloors: z.array(z.number()).length(5),
  }),
  z.object({ type: z.literal('subscribed'), athletes: z.array(UserId), denied: z.array(UserId), session: SessionId.optional() }),
  z.object({
    type: z.literal('snapshot'),
    athlete: UserId,
    name: z.string(),
    /** Steps since local midnight of the hub, so the client only adds live step counts. */
    stepsToday: z.number(),
    /** Newest event per metric (only those newer than the resume cursor, when one was sent). */
    events: z.array(CanonicalEventBase),
    resumed: z.boolean().optional(),
    profile: AthleteProfile.optional(),
    /** Zone context of the newest heart-rate event, when there is one. */
    hr: HrDerived.optional(),
    /** Power zone of the newest cycling event, when it has power and the athlete an FTP. */
    power: PowerDerived.optional(),
    state: SignalState.optional(),
    /** When the hub last received a reading of this athlete (ISO), if it has. */
    lastAt: z.string().nullable().optional(),
    battery: z.number().min(0).max(100).nullable().optional(),
    tally: SessionTally.optional(),
    /** The athlete's open alerts (newest first). */
    alerts: z.array(AlertJson).optional(),
  }),
  z.object({ type: z.literal('event'), event: CanonicalEventBase, hr: HrDerived.optional(), power: PowerDerived.optional() }),
  z.object({ type: z.literal('tally'), tally: SessionTally }),
  z.object({ type: z.literal('state'), athlete: UserId, state: SignalState, lastAt: z.string().nullable() }),
  z.object({ type: z.literal('battery'), athlete: UserId, deviceId: z.string(), percent: z.number().min(0).max(100) }),
  /** An alert or insight of a subscribed athlete changed (see contracts/src/alerts.ts). */
  z.object({ type: z.literal('alert'), athlete: UserId, change: AlertChange, alert: AlertJson }),
  z.object({ type: z.literal('heartbeat'), serverTime: z.string() }),
  z.object({ type: z.literal('session'), session: ClassSessionInfo }),
  /** The class's interval timer was started (or stopped: `stoppedAt` set); null when cleared. */
  z.object({ type: z.literal('timer'), session: SessionId, timer: IntervalTimer.nullable() }),
  z.object({ type: z.literal('revoked'), athlete: UserId }),
  /** An insight the analyzer sync stored for the athlete (issue 14). */
  z.object({
    type: z.literal('insight'), athlete: UserId,
    insight: AnalyzerInsightJson,
  }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
  z.object({ type: z.literal('pong'), id: z.string().optional(), serverTime: z.string() }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

export { WS_CLOSE, type WsCloseCode } from './ws-close.js';
