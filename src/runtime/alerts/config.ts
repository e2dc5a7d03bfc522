// The `alerts` part of config.json: where alerts go and when something counts as an incident.
import { z } from 'zod';
import { ERROR_CODES, errorMessage, GatehouseError, isErrnoException } from '../../errors.js';
import { formatIssues } from '../../fs-util.js';
import { DEFAULT_DELIVERY_DEADLINE_MS, DEFAULT_DOWN_AFTER_MS, DEFAULT_POLL_STALE_AFTER_MS, DEFAULT_WEDGED_AFTER_MS } from './defaults.js';

const { readFileSync } = process.getBuiltinModule('node:fs');

export { DEFAULT_DELIVERY_DEADLINE_MS, DEFAULT_DOWN_AFTER_MS, DEFAULT_POLL_STALE_AFTER_MS, DEFAULT_WEDGED_AFTER_MS, POLL_STALE_MARGIN_MS } from './defaults.js';

export const alertsSchema = z.strictObject({
  /** A URL that takes a JSON POST (ntfy, Slack- and Discord-compatible webhooks). May hold a secret. */
  webhook: z.url({ protocol: /^https?$/ }).optional(),
  /** Or: a file in the profile directory (0600) holding that URL, so the secret stays out of config.json. */
  webhookFile: z.string().min(1).optional(),
  /** ntfy: the topic, when the webhook is the server's root URL (JSON publishing). */
  topic: z.string().min(1).optional(),
  downAfterMs: z.number().int().min(1_000).default(DEFAULT_DOWN_AFTER_MS),
  wedgedAfterMs: z.number().int().min(1_000).default(DEFAULT_WEDGED_AFTER_MS),
  /** A chat channel that has not completed a poll for this long is deaf (checked against its pollTimeoutS in config.ts). */
  pollStaleAfterMs: z.number().int().min(1_000).default(DEFAULT_POLL_STALE_AFTER_MS),
  deliveryDeadlineMs: z.number().int().min(1_000).default(DEFAULT_DELIVERY_DEADLINE_MS),
}).refine((alerts) => !(alerts.webhook !== undefined && alerts.webhookFile !== undefined), {
  message: 'set webhook or webhookFile, not both',
});

export type AlertsConfig = z.infer<typeof alertsSchema>;
export const DEFAULT_ALERTS: AlertsConfig = alertsSchema.parse({});

/**
 * The `alerts` section alone: the watchdog must still alert when the rest of config.json turned
 * fatal (that is one way a gateway stays down). Throws only when no alerts section can be read.
 */
export function loadAlertsConfig(file: string): AlertsConfig {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if (isErrnoException(error, 'ENOENT')) return DEFAULT_ALERTS;
    throw new GatehouseError(ERROR_CODES.CONFIG_INVALID, `cannot read the alerts configuration in ${file}: ${errorMessage(error)}`);
  }
  const section = typeof data === 'object' && data !== null ? (data as { alerts?: unknown }).alerts : undefined;
  const parsed = alertsSchema.safeParse(section ?? {});
  if (!parsed.success) throw new GatehouseError(ERROR_CODES.CONFIG_INVALID, `invalid alerts configuration in ${file}: ${formatIssues(parsed.error.issues).replace(/^/, 'alerts.')}`);
  return parsed.data;
}
