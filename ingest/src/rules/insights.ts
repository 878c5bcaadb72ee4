import { alertTopic, type AlertJson } from '@pulsehub/contracts';
import { alertJson, type InsightInput, type Store } from '@pulsehub/store';

/**
 * Records an insight (a row of severity `info` in the alerts table, e.g. `goal-reached`) and
 * announces it live like an alert change (`change: 'insight'`) to the athlete, consented
 * coaches and admins. Idempotent by `key`: recording the same key again stores and announces
 * nothing and returns null.
 *
 *   await recordInsight(store, publishLive, { userId, ruleId: 'goal-reached', key: `goal-reached:${goalId}:${period}`, title: 'Daily steps goal reached' });
 */
export async function recordInsight(store: Store, publishLive: (topic: string, payload: string) => void, input: InsightInput): Promise<AlertJson | null> {
  const row = await store.alerts.recordInsight(input);
  if (!row) return null;
  const alert = alertJson(row) as AlertJson;
  publishLive(alertTopic(input.userId), JSON.stringify({ change: 'insight', alert }));
  return alert;
}
