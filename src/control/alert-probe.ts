// Alerting in `status --deep`: whether alerts are configured and where they go (the origin only:
// a Slack or Discord URL holds its secret in the path, others in the query), when an alert was
// last sent and last delivered, the last delivery error, what is queued and open. One object for
// --json (`alerts`) and the `alerts` probe derived from it.
import { loadAlertsConfig } from '../runtime/alerts/config.js';
import { errorMessage } from '../errors.js';
import type { ProfilePaths } from '../paths.js';
import { openIncidents, queuedCount } from '../runtime/alerts/outbox.js';
import { readDeliveryRecord } from '../runtime/alerts/sender.js';
import { resolveWebhook, webhookOrigin } from '../runtime/alerts/webhook.js';
import type { Probe } from './probes.js';

interface AlertRef {
  readonly incident: string;
  readonly state: string;
}

export interface AlertsStatus {
  /** A usable webhook is configured: incidents are sent. */
  readonly configured: boolean;
  /** Where they go: scheme, host and port only. */
  readonly to: string | null;
  /** Why alerts cannot be sent though configured (an unreadable webhookFile, a bad alerts section). */
  readonly error: string | null;
  readonly lastSentAt: string | null;
  readonly lastSent: AlertRef | null;
  readonly lastDeliveredAt: string | null;
  readonly lastDelivered: AlertRef | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  /** The last attempt failed (later than the last delivery). */
  readonly failing: boolean;
  readonly queued: number;
  readonly open: ReadonlyArray<{ readonly incident: string; readonly title: string; readonly openedAt: string }>;
}

function webhookOf(paths: ProfilePaths): { url: string } | { error: string } | null {
  try {
    return resolveWebhook(paths.dir, loadAlertsConfig(paths.config));
  } catch (error) {
    return { error: `cannot read the alerts configuration: ${errorMessage(error)}` };
  }
}

export function alertsStatus(paths: ProfilePaths): AlertsStatus {
  const webhook = webhookOf(paths);
  const record = readDeliveryRecord(paths.dir);
  return {
    configured: webhook !== null && 'url' in webhook,
    to: webhook !== null && 'url' in webhook ? webhookOrigin(webhook.url) : null,
    error: webhook !== null && 'error' in webhook ? webhook.error : null,
    lastSentAt: record.lastAttemptAt, lastSent: record.lastAttempt,
    lastDeliveredAt: record.lastDeliveredAt, lastDelivered: record.lastDelivered,
    lastError: record.lastError, lastErrorAt: record.lastErrorAt,
    failing: record.lastErrorAt !== null && (record.lastDeliveredAt === null || record.lastErrorAt > record.lastDeliveredAt),
    queued: queuedCount(paths.dir),
    open: openIncidents(paths.dir).map((i) => ({ incident: i.incident, title: i.title, openedAt: i.openedAt })),
  };
}

const when = (at: string | null, what: AlertRef | null): string => (at === null ? 'never' : `${at}${what === null ? '' : ` (${what.incident}, ${what.state})`}`);

export function alertsProbe(status: AlertsStatus): Probe {
  const openText = status.open.length === 0 ? 'no open incident' : `open: ${status.open.map((i) => `${i.incident} since ${i.openedAt}`).join(', ')}`;
  if (status.error !== null) return { id: 'alerts', ok: false, detail: status.error, hint: 'fix alerts in config.json (or alerts.webhookFile); `gatehouse alert --test` checks it' };
  if (!status.configured) {
    return { id: 'alerts', ok: true, detail: `not configured (${openText})`, hint: 'set "alerts": {"webhook": "https://..."} in config.json to hear about a dead or deaf gateway' };
  }
  const detail = [
    `to ${status.to}`, `last sent ${when(status.lastSentAt, status.lastSent)}`, `last delivered ${when(status.lastDeliveredAt, status.lastDelivered)}`,
    `${status.queued} queued`, openText, ...(status.failing ? [`last error ${status.lastErrorAt}: ${status.lastError}`] : []),
  ].join('; ');
  return status.failing ? { id: 'alerts', ok: false, detail, hint: 'the receiver refuses or cannot be reached; `gatehouse alert --test` retries now' } : { id: 'alerts', ok: true, detail };
}
