// The `alerts` probe of `status --deep`: where alerts go (the origin only: the URL may hold a
// secret), what is open, when the last one was delivered, and the last delivery error.
import { loadAlertsConfig } from '../runtime/alerts/config.js';
import { errorMessage } from '../errors.js';
import type { ProfilePaths } from '../paths.js';
import { openIncidents, queuedCount } from '../runtime/alerts/outbox.js';
import { readDeliveryRecord } from '../runtime/alerts/sender.js';
import { resolveWebhook, webhookOrigin } from '../runtime/alerts/webhook.js';
import type { Probe } from './probes.js';

export function alertsProbe(paths: ProfilePaths): Probe {
  let webhook: ReturnType<typeof resolveWebhook>;
  try {
    webhook = resolveWebhook(paths.dir, loadAlertsConfig(paths.config));
  } catch (error) {
    return { id: 'alerts', ok: false, detail: `cannot read the alerts configuration: ${errorMessage(error)}` };
  }
  const open = openIncidents(paths.dir).map((i) => `${i.incident} since ${i.openedAt}`);
  const record = readDeliveryRecord(paths.dir);
  const openText = open.length === 0 ? 'no open incident' : `open: ${open.join(', ')}`;
  if (webhook === null) {
    return { id: 'alerts', ok: true, detail: `not configured (${openText})`, hint: 'set "alerts": {"webhook": "https://..."} in config.json to hear about a dead or deaf gateway' };
  }
  if ('error' in webhook) return { id: 'alerts', ok: false, detail: webhook.error, hint: 'fix alerts.webhookFile; `gatehouse alert --test` checks it' };
  const delivered = `last delivered ${record.lastDeliveredAt ?? 'never'}`;
  const queued = queuedCount(paths.dir);
  const failing = record.lastErrorAt !== null && (record.lastDeliveredAt === null || record.lastErrorAt > record.lastDeliveredAt);
  const detail = `to ${webhookOrigin(webhook.url)}; ${delivered}; ${queued} queued; ${openText}${failing ? `; last error ${record.lastErrorAt}: ${record.lastError}` : ''}`;
  return failing ? { id: 'alerts', ok: false, detail, hint: 'the receiver refuses or cannot be reached; `gatehouse alert --test` retries now' } : { id: 'alerts', ok: true, detail };
}
