import { sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { queryRows } from './db.js';

/**
 * Every table that can hold a person, and how erasure covers it: the columns that name the
 * person (user id, athlete, viewer, coach, token subject, ...). The erasure test reads the
 * schema from information_schema and fails on a table with such a column that is missing here
 * (or a column of it that is not listed), so a table added on another branch is caught at merge.
 */
export const ERASURE_COVERAGE: Readonly<Record<string, { readonly columns: readonly string[]; readonly how: string }>> = {
  users: { columns: ['id'], how: 'deleted' },
  observations: { columns: ['user_id'], how: 'deleted' },
  daily_rollups: { columns: ['user_id'], how: 'deleted' },
  consents: { columns: ['athlete_id', 'viewer_id'], how: 'deleted both ways (as athlete and as viewer)' },
  devices: { columns: ['user_id'], how: 'their devices deleted (after their gateway bindings)' },
  gateway_users: { columns: ['user_id'], how: 'bindings of the person, and of their own gateways, deleted' },
  tokens: { columns: ['subject'], how: 'revoked, subject replaced by (erased): the row must stay so the revocation survives a restart' },
  dead_letters: { columns: ['user_id'], how: 'deleted when they name the person or one of their devices' },
  class_sessions: { columns: ['coach_id', 'athletes'], how: 'sessions they coached deleted; removed from other sessions\' athlete lists' },
  class_session_summaries: { columns: ['athlete_id'], how: 'their rows deleted (and all rows of sessions they coached)' },
  pending_readings: { columns: ['publisher_id', 'candidates', 'assigned_to', 'resolved_by'], how: 'deleted when published by/assigned to them or their devices; removed from candidates (deleted when none remain); resolved_by scrubbed' },
  goals: { columns: ['user_id', 'target'], how: 'deleted (`target` is the goal\'s number, not a person)' },
  local_daily_rollups: { columns: ['user_id'], how: 'deleted' },
  alerts: { columns: ['user_id', 'acked_by'], how: 'their alerts and insights deleted; acknowledgements they made on others\' alerts scrubbed' },
  webhook_subscriptions: { columns: ['user_id', 'created_by'], how: 'their subscriptions deleted; created_by scrubbed on subscriptions an erased person made for others' },
  webhook_outbox: { columns: ['user_id'], how: 'deleted (nothing of theirs is sent after erasure)' },
  webhook_deliveries: { columns: ['user_id'], how: 'deleted' },
  sharing_consents: { columns: ['user_id', 'granted_by'], how: 'their consents deleted; granted_by scrubbed' },
  analyzer_sync_log: { columns: ['user_id'], how: 'deleted' },
  analyzer_insights: { columns: ['user_id'], how: 'deleted' },
  bridge_cursors: { columns: ['user_id'], how: 'renamed to (erased):<hashed HA node id>: the bridge clears the person\'s retained Home Assistant configs, then deletes the row' },
  alert_rule_overrides: { columns: ['user_id', 'updated_by'], how: 'their overrides deleted; overrides they set for others scrubbed' },
  audit_log: { columns: ['actor', 'target'], how: 'earlier rows naming them pseudonymized to (erased); one erasure row added with counts only' },
};

/** Column names that look like they name a person: the erasure test checks every one is covered. */
export const PERSON_COLUMN = /(^|_)(user|users|athlete|athletes|viewer|viewers|coach|subject|actor|target|publisher|assigned_to|resolved_by|candidates|owner|person|member|members|patient|recipient)(_id|_ids)?$/;

export const ERASED = '(erased)';

export interface ErasureResult {
  userId: string;
  /** Rows deleted (or scrubbed) per table. */
  counts: Record<string, number>;
  /** Token ids revoked by the erasure (of the person and their devices): cut their live sessions. */
  revokedJtis: string[];
  /** The person's devices (deleted): tell broker nodes to drop their connections. */
  deviceIds: string[];
}

export interface ErasureRepo {
  /**
   * Deletes every row of a person in ONE transaction and writes an audit row (counts, no health
   * data). Returns undefined when there is no such user (nothing written).
   */
  erase(userId: string, actor: { subject: string; kind: string }): Promise<ErasureResult | undefined>;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

async function run(tx: Tx, q: ReturnType<typeof sql>): Promise<number> {
  const rows = await queryRows<{ n: number | string }>(tx as unknown as Db, sql`with d as (${q} returning 1) select count(*)::int as n from d`);
  return Number(rows[0]?.n ?? 0);
}

export function createErasureRepo(db: Db): ErasureRepo {
  return {
    async erase(userId, actor) {
      return db.transaction(async (tx) => {
        const exists = await queryRows<{ id: string }>(tx as unknown as Db, sql`select id from users where id = ${userId} for update`);
        if (exists.length === 0) return undefined;
        const deviceIds = (await queryRows<{ id: string }>(tx as unknown as Db, sql`select id from devices where user_id = ${userId}`)).map((r) => r.id);
        const subjects = [userId, ...deviceIds];
        const subjectsArr = sql`array[${sql.join(subjects.map((s) => sql`${s}`), sql`, `)}]::text[]`;
        const devArr = deviceIds.length ? sql`array[${sql.join(deviceIds.map((s) => sql`${s}`), sql`, `)}]::text[]` : sql`array[]::text[]`;
        const counts: Record<string, number> = {};
        // Tokens first: revoked (kept, so the revocation outlives a restart), then unnamed.
        const jtis = await queryRows<{ jti: string }>(tx as unknown as Db, sql`
          update tokens set revoked_at = coalesce(revoked_at, now()), subject = ${ERASED}
          where subject = any(${subjectsArr}) returning jti`);
        counts.tokens = jtis.length;
        counts.observations = await run(tx, sql`delete from observations where user_id = ${userId}`);
        counts.daily_rollups = await run(tx, sql`delete from daily_rollups where user_id = ${userId}`);
        counts.consents = await run(tx, sql`delete from consents where athlete_id = ${userId} or viewer_id = ${userId}`);
        counts.dead_letters = await run(tx, sql`delete from dead_letters where user_id = ${userId} or device_id = any(${devArr})`);
        counts.class_session_summaries = await run(tx, sql`delete from class_session_summaries where athlete_id = ${userId} or session_id in (select id from class_sessions where coach_id = ${userId})`);
        counts.class_sessions = await run(tx, sql`delete from class_sessions where coach_id = ${userId}`);
        counts.class_sessions += await run(tx, sql`update class_sessions set athletes = athletes - ${userId}::text where athletes ? ${userId}`);
        counts.pending_readings = await run(tx, sql`delete from pending_readings where publisher_id = any(${subjectsArr}) or scale_id = any(${devArr}) or assigned_to = ${userId} or (candidates ? ${userId} and jsonb_array_length(candidates) = 1)`);
        counts.pending_readings += await run(tx, sql`update pending_readings set candidates = candidates - ${userId}::text where candidates ? ${userId}`);
        counts.pending_readings += await run(tx, sql`update pending_readings set resolved_by = ${ERASED} where resolved_by = ${userId}`);
        counts.gateway_users = await run(tx, sql`delete from gateway_users where user_id = ${userId} or gateway_id = any(${devArr})`);
        counts.devices = await run(tx, sql`delete from devices where user_id = ${userId}`);
        counts.goals = await run(tx, sql`delete from goals where user_id = ${userId}`);
        counts.local_daily_rollups = await run(tx, sql`delete from local_daily_rollups where user_id = ${userId}`);
        counts.alerts = await run(tx, sql`delete from alerts where user_id = ${userId}`);
        counts.alerts += await run(tx, sql`update alerts set acked_by = ${ERASED} where acked_by = any(${subjectsArr})`);
        counts.webhook_outbox = await run(tx, sql`delete from webhook_outbox where user_id = ${userId}`);
        counts.webhook_deliveries = await run(tx, sql`delete from webhook_deliveries where user_id = ${userId}`);
        counts.webhook_subscriptions = await run(tx, sql`delete from webhook_subscriptions where user_id = ${userId}`);
        counts.webhook_subscriptions += await run(tx, sql`update webhook_subscriptions set created_by = ${ERASED} where created_by = any(${subjectsArr})`);
        counts.sharing_consents = await run(tx, sql`delete from sharing_consents where user_id = ${userId}`);
        counts.sharing_consents += await run(tx, sql`update sharing_consents set granted_by = ${ERASED} where granted_by = any(${subjectsArr})`);
        counts.analyzer_sync_log = await run(tx, sql`delete from analyzer_sync_log where user_id = ${userId}`);
        counts.analyzer_insights = await run(tx, sql`delete from analyzer_insights where user_id = ${userId}`);
        // The bridge still has to clear the person's retained discovery configs on the external
        // broker: the row keeps only the hashed HA node id, under a pseudonym the bridge reads as revoked.
        counts.bridge_cursors = await run(tx, sql`update bridge_cursors set user_id = ${`${ERASED}:`} || node where user_id = ${userId}`);
        counts.alert_rule_overrides = await run(tx, sql`delete from alert_rule_overrides where user_id = ${userId}`);
        counts.alert_rule_overrides += await run(tx, sql`update alert_rule_overrides set updated_by = ${ERASED} where updated_by = any(${subjectsArr})`);
        // Audit targets are ids or `a/b` pairs (consents); details are JSON: match the id as a
        // whole word, never as a substring of another id.
        const word = `(^|[^A-Za-z0-9_.-])${userId.replace(/[.]/g, '\\.')}($|[^A-Za-z0-9_.-])`;
        counts.audit_log = await run(tx, sql`update audit_log set actor = case when actor = any(${subjectsArr}) then ${ERASED} else actor end,
          target = case when target = any(${subjectsArr}) or target ~ ${word} then ${ERASED} else target end,
          details = case when details::text ~ ${word} then jsonb_build_object('erased', true) else details end
          where actor = any(${subjectsArr}) or target = any(${subjectsArr}) or target ~ ${word} or details::text ~ ${word}`);
        counts.users = await run(tx, sql`delete from users where id = ${userId}`);
        await tx.execute(sql`insert into audit_log (actor, actor_kind, action, target, details)
          values (${actor.subject === userId ? ERASED : actor.subject}, ${actor.kind}, 'user.erase', ${userId}, ${JSON.stringify({ counts })}::jsonb)`);
        return { userId, counts, revokedJtis: jtis.map((r) => r.jti), deviceIds };
      });
    },
  };
}
