import { z } from 'zod';
import { METRIC_IDS } from './metrics.js';

/**
 * Issue 14: what leaves the hub. Webhook event types (the alert and goal ones are accepted in a
 * subscription now and delivered once those features write their outbox entries), and the
 * analyzer's answer, validated before anything of it is stored.
 */
export const WEBHOOK_EVENTS = ['reading.stored', 'session.ended', 'device.offline', 'alert.opened', 'alert.resolved', 'goal.reached'] as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENTS);
export type WebhookEventType = z.infer<typeof WebhookEventType>;

/** Purposes a person may consent to share their data for (sharing_consents.purpose). */
export const SHARING_PURPOSES = ['analyzer', 'bridge'] as const;
export const SharingPurpose = z.enum(SHARING_PURPOSES);
export type SharingPurpose = z.infer<typeof SharingPurpose>;

export const INSIGHT_SEVERITIES = ['info', 'warning', 'critical'] as const;

/** One insight as the analyzer sends it (`{insights:[…]}`). */
export const AnalyzerInsight = z.object({
  kind: z.string().regex(/^[a-z0-9_.-]{1,64}$/, { error: 'kind is a short lower-case slug' }),
  severity: z.enum(INSIGHT_SEVERITIES),
  title: z.string().min(1).max(200),
  body: z.string().max(4000),
  metric: z.enum(METRIC_IDS).optional(),
  at: z.iso.datetime({ offset: true }).optional(),
});
export type AnalyzerInsight = z.infer<typeof AnalyzerInsight>;

export const AnalyzerAnswer = z.object({ insights: z.array(AnalyzerInsight).max(1000).default([]) });
export type AnalyzerAnswer = z.infer<typeof AnalyzerAnswer>;
