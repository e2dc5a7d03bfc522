// The chat channels in `gatehouse status`: read from the profile's database (the worker records
// each channel's state, its last successful poll and last error there; the outbox and the inbound
// ledger are there anyway), so it costs no round trip to the worker and still answers when the
// worker is wedged or down. A channel of a gateway that is not running is shown as stopped.
import type { ChannelSnapshot, SnapshotRead } from '../channels/telegram/status-read.js';
import type { Probe } from './probes.js';

/** A poll older than this (the longest long poll, 50 s, plus its grace) means the poller is stuck. */
export const POLL_LAG_LIMIT_MS = 90_000;
/** Dead letters this recent make the channel's probe FAIL. */
export const RECENT_DEAD_LETTER_MS = 24 * 3600_000;

export interface ChannelStatus extends ChannelSnapshot {
  /** What the worker last wrote, when the gateway is not running (state then says stopped). */
  readonly lastState: string;
}

export type ChannelsRead = { readonly ok: true; readonly channels: readonly ChannelStatus[] } | { readonly ok: false; readonly reason: string };

export function withRunning(read: SnapshotRead, running: boolean): ChannelsRead {
  if (!read.ok) return read;
  return { ok: true, channels: read.channels.map((c) => ({ ...c, lastState: c.state, state: running ? c.state : 'stopped' })) };
}

const seconds = (ms: number | null): string => (ms === null ? 'never' : `${Math.round(ms / 1000)} s ago`);

export function describeChannel(c: ChannelStatus): string {
  const who = c.username === null ? c.name : `${c.name} @${c.username}`;
  const dead = c.deadLetters.recent[0];
  return [
    `${who}: ${c.state}${c.detail !== null && c.state !== 'polling' && c.state !== 'stopped' ? ` (${c.detail})` : ''}; last poll ${seconds(c.pollLagMs)}`,
    `outbox ${c.outbox.pending} pending${c.outbox.oldestPendingAgeMs === null ? '' : ` (oldest ${seconds(c.outbox.oldestPendingAgeMs)})`}, ${c.outbox.sent} sent, ${c.outbox.possibleDuplicates} possible duplicate(s); ${c.unanswered} being answered`,
    `dead letters ${c.deadLetters.count} (${c.deadLetters.unknownOutcome} with unknown outcome)${dead === undefined ? '' : `; last: chat ${dead.chatId} part ${dead.part} at ${dead.at}: ${dead.reason}`}`,
    `updates ${c.updates.total}: ${c.updates.accepted} answered, ${c.updates.unknownSenders} from unknown senders, ${c.updates.skippedOld} skipped as too old, ${c.updates.commands} commands, ${c.updates.ignored} ignored`,
    ...(c.lastError === null ? [] : [`last error at ${c.lastErrorAt}: ${c.lastError}`]),
  ].join('\n');
}

export function channelProbes(read: ChannelsRead, running: boolean, now: number = Date.now()): Probe[] {
  if (!read.ok) return [{ id: 'channels', ok: false, detail: read.reason }];
  return read.channels.map((c) => {
    const id = `channel:${c.name}`;
    const detail = describeChannel(c);
    if (!running) return { id, ok: true, detail: `${detail}\n(the gateway is not running; last state ${c.lastState})` };
    if (c.state === 'failed' || c.state === 'conflict') return { id, ok: false, detail, hint: 'fix what the state says; the HTTP API keeps working meanwhile' };
    if (c.state === 'polling' && (c.pollLagMs === null || c.pollLagMs > POLL_LAG_LIMIT_MS)) return { id, ok: false, detail, hint: 'the poller has not heard from Telegram lately: see `gatehouse logs`' };
    const recentDead = c.deadLetters.recent.some((d) => now - Date.parse(d.at) < RECENT_DEAD_LETTER_MS);
    if (recentDead) return { id, ok: false, detail, hint: 'replies that could not be delivered, with Telegram\'s reason; they are not retried' };
    return { id, ok: true, detail };
  });
}
