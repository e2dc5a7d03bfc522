// What the channel's tables say about each bot, for `gatehouse status` (read straight from the
// profile's database, so it answers even when the worker is wedged or down) and for /status.
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import { errorMessage } from '../../errors.js';
import { prunedCounts } from './retention.js';

const { existsSync } = process.getBuiltinModule('node:fs');

/** How many recent dead letters status lists with their reasons. */
const RECENT_DEAD_LETTERS = 5;

export interface DeadLetter {
  readonly chatId: number;
  readonly part: string;
  readonly status: 'dead' | 'unknown';
  readonly reason: string;
  readonly at: string;
}

export interface ChannelSnapshot {
  readonly kind: 'telegram';
  /** The channel's name (config `name`, default `telegram`). */
  readonly name: string;
  /** The bot's id (the digits before the colon of its token); null while no token could be read. */
  readonly bot: string | null;
  readonly username: string | null;
  /** starting | polling | failed | conflict | stopped (as the worker last wrote it). */
  readonly state: string;
  readonly detail: string | null;
  readonly workerPid: number | null;
  readonly lastPollAt: string | null;
  /** Milliseconds since the last successful getUpdates. */
  readonly pollLagMs: number | null;
  readonly lastError: string | null;
  readonly lastErrorAt: string | null;
  readonly updates: { readonly total: number; readonly accepted: number; readonly unknownSenders: number; readonly skippedOld: number; readonly ignored: number; readonly commands: number };
  /** Chat messages committed whose reply is not yet in the outbox. */
  readonly unanswered: number;
  readonly outbox: { readonly pending: number; readonly sent: number; readonly possibleDuplicates: number; readonly oldestPendingAgeMs: number | null };
  readonly deadLetters: { readonly count: number; readonly unknownOutcome: number; readonly recent: readonly DeadLetter[] };
  readonly updatedAt: string;
}

const iso = (ms: SQLInputValue | undefined): string | null => (ms === null || ms === undefined ? null : new Date(Number(ms)).toISOString());

function tableExists(db: DatabaseSync, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function count(db: DatabaseSync, sql: string, ...params: SQLInputValue[]): number {
  return Number((db.prepare(sql).get(...params) as { c: number }).c);
}

function snapshotOf(db: DatabaseSync, row: Record<string, SQLInputValue>, now: number): ChannelSnapshot {
  const bot = row.bot === null ? '' : String(row.bot);
  // Totals: the rows there are, plus those retention removed.
  const pruned = prunedCounts(db, bot);
  const byOutcome = new Map((db.prepare('SELECT outcome, COUNT(*) AS c FROM telegram_updates WHERE bot = ? GROUP BY outcome').all(bot) as Array<{ outcome: string; c: number }>).map((r) => [r.outcome, Number(r.c)]));
  for (const [what, n] of pruned) {
    const outcome = what.startsWith('update:') ? what.slice('update:'.length) : null;
    if (outcome !== null) byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + n);
  }
  const oldest = db.prepare("SELECT MIN(created_at) AS t FROM telegram_outbox WHERE bot = ? AND status IN ('pending', 'sending')").get(bot) as { t: number | null };
  const recent = db.prepare("SELECT chat_id, part, parts, status, error, updated_at FROM telegram_outbox WHERE bot = ? AND status IN ('dead', 'unknown') ORDER BY seq DESC LIMIT ?").all(bot, RECENT_DEAD_LETTERS) as Array<Record<string, SQLInputValue>>;
  const lastPoll = row.last_poll_at === null ? null : Number(row.last_poll_at);
  return {
    kind: 'telegram', name: String(row.name), bot: bot === '' ? null : bot, username: row.username === null ? null : String(row.username), state: String(row.state),
    detail: row.detail === null ? null : String(row.detail), workerPid: row.worker_pid === null ? null : Number(row.worker_pid),
    lastPollAt: iso(lastPoll), pollLagMs: lastPoll === null ? null : Math.max(0, now - lastPoll),
    lastError: row.last_error === null ? null : String(row.last_error), lastErrorAt: iso(row.last_error_at),
    updates: {
      total: [...byOutcome.values()].reduce((a, b) => a + b, 0), accepted: byOutcome.get('accepted') ?? 0, unknownSenders: byOutcome.get('unknown_sender') ?? 0,
      skippedOld: byOutcome.get('skipped_old') ?? 0, ignored: byOutcome.get('ignored') ?? 0, commands: byOutcome.get('command') ?? 0,
    },
    unanswered: count(db, 'SELECT COUNT(*) AS c FROM telegram_updates WHERE bot = ? AND answered = 0 AND message_id IS NOT NULL', bot),
    outbox: {
      pending: count(db, "SELECT COUNT(*) AS c FROM telegram_outbox WHERE bot = ? AND status IN ('pending', 'sending')", bot),
      sent: count(db, "SELECT COUNT(*) AS c FROM telegram_outbox WHERE bot = ? AND status = 'sent'", bot) + (pruned.get('part:sent') ?? 0),
      possibleDuplicates: count(db, 'SELECT COUNT(*) AS c FROM telegram_outbox WHERE bot = ? AND possible_duplicate = 1', bot) + (pruned.get('part:possible_duplicate') ?? 0),
      oldestPendingAgeMs: oldest.t === null ? null : Math.max(0, now - Number(oldest.t)),
    },
    deadLetters: {
      count: count(db, "SELECT COUNT(*) AS c FROM telegram_outbox WHERE bot = ? AND status IN ('dead', 'unknown')", bot),
      unknownOutcome: count(db, "SELECT COUNT(*) AS c FROM telegram_outbox WHERE bot = ? AND status = 'unknown'", bot),
      recent: recent.map((r) => ({
        chatId: Number(r.chat_id), part: `${Number(r.part)}/${Number(r.parts)}`, status: String(r.status) as 'dead' | 'unknown',
        reason: String(r.error ?? ''), at: iso(r.updated_at) ?? '',
      })),
    },
    updatedAt: iso(row.updated_at) ?? '',
  };
}

/** Every bot the channel's tables know, from an open connection. */
export function channelSnapshots(db: DatabaseSync, now: number = Date.now()): ChannelSnapshot[] {
  if (!tableExists(db, 'telegram_state')) return [];
  const rows = db.prepare('SELECT * FROM telegram_state ORDER BY name').all() as Array<Record<string, SQLInputValue>>;
  return rows.map((row) => snapshotOf(db, row, now));
}

export type SnapshotRead = { readonly ok: true; readonly channels: ChannelSnapshot[] } | { readonly ok: false; readonly reason: string };

/** Read the profile's database without creating or changing it. */
export function readChannelSnapshots(databaseFile: string): SnapshotRead {
  if (!existsSync(databaseFile)) return { ok: true, channels: [] };
  let db: DatabaseSync | null = null;
  try {
    db = new DatabaseSync(databaseFile, { readOnly: true, timeout: 1_000 });
    return { ok: true, channels: channelSnapshots(db) };
  } catch (error) {
    return { ok: false, reason: `cannot read ${databaseFile}: ${errorMessage(error)}` };
  } finally {
    db?.close();
  }
}
