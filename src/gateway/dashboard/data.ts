// What each dashboard route answers, from the gateway's own records: the worker's dispatcher and
// store, the channels' tables, the lifecycle log, and status --deep. Secrets never pass through
// here: the tokens live in files this module does not read, channel errors are redacted, and the
// lifecycle events are cut down to the fields listed in TIMELINE_FIELDS.
import { actOnDeadLetter, botQueues, deliveryBuckets, type ActionOutcome, type DeadLetterAction } from '../../channels/telegram/dead-letters.js';
import { channelSnapshots } from '../../channels/telegram/status-read.js';
import { LifecycleLog, type LifecycleEvent } from '../../runtime/lifecycle-log.js';
import type { Dispatcher } from '../dispatcher.js';
import type { SessionStore } from '../store.js';
import { messageBuckets, recentSessions, sessionMessages } from './queries.js';
import type { StatusProbe } from './status-probe.js';

/** The charts cover this long, in buckets of BUCKET_MS. */
export const CHART_SPAN_MS = 6 * 3_600_000;
export const BUCKET_MS = 10 * 60_000;
const TIMELINE_EVENTS = 200;
/** Restarts are counted from this many of the last lifecycle events (the log's last 64 KiB). */
const RESTART_SCAN_EVENTS = 2_000;
/** The fields of a lifecycle event the timeline shows (argv and paths are left out). */
const TIMELINE_FIELDS = [
  'reason', 'code', 'signal', 'workerPid', 'oldWorkerPid', 'newWorkerPid', 'planned', 'full', 'crashes', 'pauseMs',
  'resumed', 'failed', 'completed', 'resumePending', 'timedOut', 'detached', 'supervised', 'silentMs', 'ok', 'via',
] as const;

export interface DashboardSources {
  readonly store: SessionStore;
  readonly dispatcher: Dispatcher;
  readonly lifecycleLog: string;
  readonly probe: StatusProbe;
  /** The monitor's pid and instance, and when this worker started. */
  readonly identity: { readonly pid: number; readonly instance: string };
  readonly workerStartedAt: number;
}

export async function overview(s: DashboardSources): Promise<Record<string, unknown>> {
  const deep = await s.probe.get();
  return {
    gateway: {
      pid: s.identity.pid, instance: s.identity.instance, workerPid: process.pid, workerStartedAt: new Date(s.workerStartedAt).toISOString(),
      accepting: s.dispatcher.isAccepting, inFlight: s.dispatcher.inFlight, messages: s.store.countByStatus(),
    },
    status: deep.status, statusError: deep.error, statusAt: deep.at,
    channels: channelSnapshots(s.store.database),
  };
}

export function sessions(s: DashboardSources): Record<string, unknown> {
  return { sessions: recentSessions(s.store.database) };
}

export function session(s: DashboardSources, id: string): Record<string, unknown> | null {
  const messages = sessionMessages(s.store.database, id);
  return messages.length === 0 ? null : { id, messages };
}

export function queues(s: DashboardSources): Record<string, unknown> {
  return { channels: botQueues(s.store.database) };
}

export function deadLetterAction(s: DashboardSources, channel: string, seq: number, action: DeadLetterAction): ActionOutcome | 'no_channel' {
  const bot = botQueues(s.store.database).find((q) => q.channel === channel)?.bot;
  return bot === undefined ? 'no_channel' : actOnDeadLetter(s.store.database, bot, seq, action);
}

function timelineEntry(e: LifecycleEvent): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const name of TIMELINE_FIELDS) if (e[name] !== undefined && e[name] !== null) fields[name] = e[name];
  return { ts: e.ts, event: e.event, pid: e.pid, fields };
}

export function timeline(s: DashboardSources): Record<string, unknown> {
  const events = new LifecycleLog(s.lifecycleLog).tail(TIMELINE_EVENTS);
  return { events: events.reverse().map(timelineEntry) };
}

/** What a lifecycle event counts as on the restarts chart, if anything. */
function restartKind(e: LifecycleEvent): 'crash' | 'replaced' | 'monitor' | null {
  if (e.event === 'worker_exit' && e['planned'] !== true) return 'crash';
  if (e.event === 'worker_replaced') return 'replaced';
  if (e.event === 'start') return 'monitor';
  return null;
}

export function charts(s: DashboardSources, now = Date.now()): Record<string, unknown> {
  const since = now - CHART_SPAN_MS;
  const buckets = messageBuckets(s.store.database, since, BUCKET_MS, now);
  const first = buckets[0]?.start ?? since;
  const restarts = buckets.map(() => ({ crash: 0, replaced: 0, monitor: 0 }));
  for (const e of new LifecycleLog(s.lifecycleLog).tail(RESTART_SCAN_EVENTS)) {
    const kind = restartKind(e);
    const at = Date.parse(e.ts);
    const slot = restarts[Math.floor((at - first) / BUCKET_MS)];
    if (kind !== null && slot !== undefined && at >= first) slot[kind] += 1;
  }
  const delivery = buckets.map(() => ({ delivered: 0, deliveryAvgMs: null as number | null, deliveryMaxMs: null as number | null }));
  for (const d of deliveryBuckets(s.store.database, first, BUCKET_MS)) {
    const slot = delivery[d.index];
    if (slot !== undefined) Object.assign(slot, { delivered: d.delivered, deliveryAvgMs: d.avgMs, deliveryMaxMs: d.maxMs });
  }
  return { now, bucketMs: BUCKET_MS, buckets: buckets.map((b, i) => ({ ...b, restarts: restarts[i], ...delivery[i] })) };
}
