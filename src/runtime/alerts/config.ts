// The `alerts` part of config.json: where alerts go and when something counts as an incident.
import { z } from 'zod';
import { DEFAULT_CHECK_INTERVAL_S, DEFAULT_DELIVERY_DEADLINE_MS, DEFAULT_DOWN_AFTER_MS, DEFAULT_WEDGED_AFTER_MS } from './defaults.js';

export { DEFAULT_CHECK_INTERVAL_S, DEFAULT_DELIVERY_DEADLINE_MS, DEFAULT_DOWN_AFTER_MS, DEFAULT_WEDGED_AFTER_MS } from './defaults.js';

export const alertsSchema = z.strictObject({
  /** A URL that takes a JSON POST (ntfy, Slack- and Discord-compatible webhooks). May hold a secret. */
  webhook: z.url({ protocol: /^https?$/ }).optional(),
  /** Or: a file in the profile directory (0600) holding that URL, so the secret stays out of config.json. */
  webhookFile: z.string().min(1).optional(),
  /** ntfy: the topic, when the webhook is the server's root URL (JSON publishing). */
  topic: z.string().min(1).optional(),
  downAfterMs: z.number().int().min(1_000).default(DEFAULT_DOWN_AFTER_MS),
  wedgedAfterMs: z.number().int().min(1_000).default(DEFAULT_WEDGED_AFTER_MS),
  checkIntervalS: z.number().int().min(1).max(86_400).default(DEFAULT_CHECK_INTERVAL_S),
  deliveryDeadlineMs: z.number().int().min(1_000).default(DEFAULT_DELIVERY_DEADLINE_MS),
}).refine((alerts) => !(alerts.webhook !== undefined && alerts.webhookFile !== undefined), {
  message: 'set webhook or webhookFile, not both',
});

export type AlertsConfig = z.infer<typeof alertsSchema>;
export const DEFAULT_ALERTS: AlertsConfig = alertsSchema.parse({});
