import { ALERT_RULES } from '@pulsehub/contracts';
import type { alerts } from './schema.js';

type AlertRow = typeof alerts.$inferSelect;

/** An outbox entry for an event other than `reading.stored` (webhooks.enqueue). */
export interface HookEntry { userId: string; eventType: string; payload: unknown }

const RULE_METRIC: ReadonlyMap<string, string | null> = new Map(ALERT_RULES.map((r) => [r.id, r.metric]));

/**
 * The detail fields that are "the value" of each rule's alert. A webhook payload carries only
 * these (not the whole detail: readings ids, baselines and the like stay in the hub).
 */
const VALUE_KEYS: Readonly<Record<string, readonly string[]>> = {
  'bp-category': ['systolic', 'diastolic'],
  'bp-crisis': ['systolic', 'diastolic'],
  'hr-high': ['bpm'],
  'spo2-low': ['percent'],
  'glucose-range': ['glucose'],
  'battery-low': ['percent'],
  'steps-low': ['steps'],
  'resting-hr-trend': ['delta'],
  'weight-change': ['percent'],
};

/** The rule whose alert names silent devices; each newly silent one is also a `device.offline`. */
export const DEVICE_OFFLINE_RULE = 'device-offline';

function valueOf(row: AlertRow): Record<string, number> | null {
  const out: Record<string, number> = {};
  for (const k of VALUE_KEYS[row.ruleId] ?? []) {
    const v = row.detail[k];
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** `alert.opened` / `alert.resolved` payload: what a receiver needs to act, no more. */
export function alertPayload(row: AlertRow) {
  return {
    alertId: row.id, ruleId: row.ruleId, severity: row.severity, title: row.title, metric: RULE_METRIC.get(row.ruleId) ?? null,
    value: valueOf(row), openedAt: row.openedAt.toISOString(), resolvedAt: row.resolvedAt?.toISOString() ?? null,
  };
}

function silentDevices(row: AlertRow | undefined): { id: string; lastSeenAt: string }[] {
  const list = row?.detail.devices;
  if (!Array.isArray(list)) return [];
  return list.flatMap((d: unknown) => {
    const x = d as { id?: unknown; lastSeenAt?: unknown };
    return typeof x.id === 'string' && typeof x.lastSeenAt === 'string' ? [{ id: x.id, lastSeenAt: x.lastSeenAt }] : [];
  });
}

/**
 * The outbox entries an alert change causes, written in the alert's own transaction:
 * `alert.opened` when it opened (not on an update of the open one), `alert.resolved` when it
 * resolved, and for the device-offline alert one `device.offline` per device that was not
 * already silent in `previous` (the open row before this write).
 */
export function alertHookEntries(change: 'opened' | 'updated' | 'resolved', row: AlertRow, previous?: AlertRow): HookEntry[] {
  const out: HookEntry[] = [];
  if (change === 'opened') out.push({ userId: row.userId, eventType: 'alert.opened', payload: alertPayload(row) });
  if (change === 'resolved') out.push({ userId: row.userId, eventType: 'alert.resolved', payload: alertPayload(row) });
  if (change !== 'resolved' && row.ruleId === DEVICE_OFFLINE_RULE) {
    const before = new Set(change === 'opened' ? [] : silentDevices(previous).map((d) => d.id));
    for (const d of silentDevices(row)) {
      if (!before.has(d.id)) out.push({ userId: row.userId, eventType: 'device.offline', payload: { deviceId: d.id, lastSeenAt: d.lastSeenAt, alertId: row.id } });
    }
  }
  return out;
}
