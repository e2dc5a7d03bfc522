// The alert sender: a short-lived detached process (`gatehouse __alert-send`) that empties the
// profile's alert queue, retrying with backoff, then exits. The monitor and the worker only write
// files and start it, so a slow or dead receiver never blocks the gateway, and the monitor needs no
// HTTPS client of its own.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ENV } from '../../env.js';
import { writeJsonFile } from '../../fs-util.js';
import type { ProfilePaths } from '../../paths.js';
import { spawnDetached } from '../../platform/spawn.js';
import { ENTRY_SCRIPT } from '../../version.js';
import { backoffDelayMs, type Pacing } from '../backoff.js';
import { checkIdentity, selfIdentity } from '../identity.js';
import type { AlertsConfig } from './config.js';
import { ALERT_SEND_COMMAND } from './names.js';
import { alertsDir, claimNext, giveUp, pruneOneShots, putBack, queuedCount, reclaimOrphans, settleSent, type AlertEvent } from './outbox.js';
import { postJson, resolveWebhook, webhookBody } from './webhook.js';

const { readFileSync } = process.getBuiltinModule('node:fs');

/** Retry pacing for a receiver that fails: 1 s doubling to 60 s, spread by backoff.ts's jitter (+-50%). */
export const DELIVERY_PACING: Pacing = { baseMs: 1_000, maxMs: 60_000 };

/** What status --deep shows about alerting. */
export interface DeliveryRecord {
  /** When an alert was last posted to the receiver (taken or not), and which. */
  readonly lastAttemptAt: string | null;
  readonly lastAttempt: { readonly incident: string; readonly state: string } | null;
  readonly lastDeliveredAt: string | null;
  readonly lastDelivered: { readonly incident: string; readonly state: string } | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
}

const EMPTY_RECORD: DeliveryRecord = { lastAttemptAt: null, lastAttempt: null, lastDeliveredAt: null, lastDelivered: null, lastError: null, lastErrorAt: null };

function recordFile(profileDir: string): string {
  return join(alertsDir(profileDir), 'delivery.json');
}

function senderPidFile(profileDir: string): string {
  return join(alertsDir(profileDir), 'sender.pid');
}

export function readDeliveryRecord(profileDir: string): DeliveryRecord {
  try {
    return { ...EMPTY_RECORD, ...(JSON.parse(readFileSync(recordFile(profileDir), 'utf8')) as Partial<DeliveryRecord>) };
  } catch {
    return EMPTY_RECORD; // none yet, or torn: nothing to show
  }
}

function updateRecord(profileDir: string, change: Partial<DeliveryRecord>): void {
  writeJsonFile(recordFile(profileDir), { ...readDeliveryRecord(profileDir), ...change });
}

function ownerAlive(owner: string): boolean {
  const [pid, startTime] = owner.split('-').map(Number);
  return pid !== undefined && startTime !== undefined && checkIdentity({ pid, startTime }).verdict === 'match';
}

/** A sender of this profile is running now (its pid file names a live process with its start time). */
export function senderRunning(profileDir: string): boolean {
  try {
    return ownerAlive(JSON.parse(readFileSync(senderPidFile(profileDir), 'utf8')) as string);
  } catch {
    return false; // none, torn or foreign: a new sender takes over (claims keep two from sending one alert)
  }
}

/** Start a sender unless one runs; the gateway calls this after queueing an alert. */
export function ensureSender(paths: ProfilePaths): void {
  if (senderRunning(paths.dir)) return;
  const env: NodeJS.ProcessEnv = { ...process.env, [ENV.HOME]: paths.home };
  delete env[ENV.ROLE];
  delete env[ENV.SUPERVISED];
  delete env[ENV.INSTANCE];
  spawnDetached(process.execPath, [ENTRY_SCRIPT, ALERT_SEND_COMMAND, '--profile', paths.profile], { env, cwd: paths.dir, logFile: paths.crashLog });
}

export interface SendOutcome {
  readonly delivered: number;
  readonly failed: number;
  readonly lastError: string | null;
}

/** Deliver one alert now: true when the receiver took it. Records the outcome for status. */
export async function deliver(profileDir: string, url: string, config: AlertsConfig, event: AlertEvent): Promise<{ ok: boolean; error: string | null }> {
  const now = new Date().toISOString();
  const outcome = await postJson(url, webhookBody(event, config));
  const attempt = { lastAttemptAt: now, lastAttempt: { incident: event.incident, state: event.state } };
  if (outcome.ok) {
    updateRecord(profileDir, { ...attempt, lastDeliveredAt: new Date().toISOString(), lastDelivered: attempt.lastAttempt });
    return { ok: true, error: null };
  }
  updateRecord(profileDir, { ...attempt, lastError: outcome.error, lastErrorAt: now });
  return { ok: false, error: outcome.error };
}

/**
 * Empty the queue: oldest first, each retried with backoff until the delivery deadline after it was
 * queued, then kept in alerts/failed/. Returns once the queue is empty.
 */
export async function runSender(paths: ProfilePaths, config: AlertsConfig, random: () => number = Math.random): Promise<SendOutcome> {
  const self = selfIdentity();
  const owner = `${self.pid}-${self.startTime}`;
  const totals = { delivered: 0, failed: 0, lastError: null as string | null };
  reclaimOrphans(paths.dir, ownerAlive);
  pruneOneShots(paths.dir);
  // Once more after saying we are gone: an alert queued while we were finishing would otherwise
  // wait for the next one (its raiser saw us running and started no sender).
  do {
    writeJsonFile(senderPidFile(paths.dir), owner);
    try {
      await sendQueued(paths.dir, owner, config, random, totals);
    } finally {
      writeJsonFile(senderPidFile(paths.dir), '');
    }
  } while (queuedCount(paths.dir) > 0);
  return totals;
}

async function sendQueued(profileDir: string, owner: string, config: AlertsConfig, random: () => number, totals: { delivered: number; failed: number; lastError: string | null }): Promise<void> {
  const webhook = resolveWebhook(profileDir, config);
  let failures = 0;
  for (let claimed = claimNext(profileDir, owner); claimed !== null; claimed = claimNext(profileDir, owner)) {
    if (webhook === null || 'error' in webhook) {
      // Nowhere to send: keep it where a person sees it, rather than retrying forever.
      giveUp(profileDir, claimed);
      totals.failed += 1;
      totals.lastError = webhook === null ? 'no alerts.webhook configured' : webhook.error;
      updateRecord(profileDir, { lastError: totals.lastError, lastErrorAt: new Date().toISOString() });
      continue;
    }
    const result = await deliver(profileDir, webhook.url, config, claimed.event);
    if (result.ok) {
      settleSent(claimed);
      totals.delivered += 1;
      failures = 0;
      continue;
    }
    totals.lastError = result.error;
    if (Date.now() - claimed.queuedAt > config.deliveryDeadlineMs) {
      giveUp(profileDir, claimed);
      totals.failed += 1;
      continue;
    }
    putBack(profileDir, claimed);
    failures += 1;
    await sleep(backoffDelayMs(failures, DELIVERY_PACING, random));
  }
}
