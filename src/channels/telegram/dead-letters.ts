// The delivery queue and the dead letters of each bot, for the dashboard, and the two things a
// person can do about a dead letter: retry it (back to `pending`: the sender's next pass, within
// a quarter second, delivers it under the usual rules, so a retried part that then succeeds is
// `sent` once) or discard it (its row is removed; the reply itself stays in the session's
// messages). Each is one UPDATE or DELETE guarded by the part's current status, so a double click,
// two tabs, or a crash between click and commit apply it at most once.
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { redact } from './redact.js';

/** Parts listed per bot and kind, newest first. */
const LIST_LIMIT = 50;
const DEAD = "('dead', 'unknown')";
const QUEUED = "('pending', 'sending')";

export interface QueuedPart {
  readonly seq: number;
  readonly chatId: number;
  readonly part: string;
  readonly status: string;
  readonly text: string;
  readonly attempts: number;
  readonly error: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface BotQueue {
  readonly channel: string;
  readonly bot: string;
  readonly username: string | null;
  readonly state: string;
  readonly queued: readonly QueuedPart[];
  readonly dead: readonly QueuedPart[];
}

export type DeadLetterAction = 'retry' | 'discard';
export type ActionOutcome = 'done' | 'not_found' | 'not_dead';

function tableExists(db: DatabaseSync, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function partOf(r: Record<string, SQLInputValue>): QueuedPart {
  return {
    seq: Number(r.seq), chatId: Number(r.chat_id), part: `${Number(r.part)}/${Number(r.parts)}`, status: String(r.status),
    text: String(r.text), attempts: Number(r.attempts), error: r.error === null ? null : redact(String(r.error)),
    createdAt: new Date(Number(r.created_at)).toISOString(), updatedAt: new Date(Number(r.updated_at)).toISOString(),
  };
}

function parts(db: DatabaseSync, bot: string, statuses: string): QueuedPart[] {
  const rows = db.prepare(`SELECT seq, chat_id, part, parts, status, text, attempts, error, created_at, updated_at FROM telegram_outbox
    WHERE bot = ? AND status IN ${statuses} ORDER BY seq DESC LIMIT ?`).all(bot, LIST_LIMIT) as Array<Record<string, SQLInputValue>>;
  return rows.map(partOf);
}

/** Every channel with a known bot: what waits to be delivered and what could not be. */
export function botQueues(db: DatabaseSync): BotQueue[] {
  if (!tableExists(db, 'telegram_state') || !tableExists(db, 'telegram_outbox')) return [];
  const channels = db.prepare('SELECT name, bot, username, state FROM telegram_state WHERE bot IS NOT NULL ORDER BY name').all() as Array<Record<string, SQLInputValue>>;
  return channels.map((c) => {
    const bot = String(c.bot);
    return {
      channel: String(c.name), bot, username: c.username === null ? null : String(c.username), state: String(c.state),
      queued: parts(db, bot, QUEUED), dead: parts(db, bot, DEAD),
    };
  });
}

/** Retry or discard one dead letter of a bot. */
export function actOnDeadLetter(db: DatabaseSync, bot: string, seq: number, action: DeadLetterAction): ActionOutcome {
  if (!tableExists(db, 'telegram_outbox')) return 'not_found';
  const changed = action === 'retry'
    // not_before 0: due now. The error is kept until the next attempt replaces it or the send clears it.
    ? db.prepare(`UPDATE telegram_outbox SET status = 'pending', not_before = 0, updated_at = ? WHERE bot = ? AND seq = ? AND status IN ${DEAD}`).run(Date.now(), bot, seq)
    : db.prepare(`DELETE FROM telegram_outbox WHERE bot = ? AND seq = ? AND status IN ${DEAD}`).run(bot, seq);
  if (Number(changed.changes) === 1) return 'done';
  return db.prepare('SELECT 1 FROM telegram_outbox WHERE bot = ? AND seq = ?').get(bot, seq) === undefined ? 'not_found' : 'not_dead';
}

export interface DeliveryBucket {
  /** Index of the bucket of bucketMs from start. */
  readonly index: number;
  readonly delivered: number;
  readonly avgMs: number;
  readonly maxMs: number;
}

/** Parts Telegram confirmed per bucket, and how long each took from entering the outbox (all bots). */
export function deliveryBuckets(db: DatabaseSync, start: number, bucketMs: number): DeliveryBucket[] {
  if (!tableExists(db, 'telegram_outbox')) return [];
  const rows = db.prepare(`SELECT CAST((sent_at - ?) / ? AS INTEGER) AS b, COUNT(*) AS n, AVG(sent_at - created_at) AS avg, MAX(sent_at - created_at) AS max
    FROM telegram_outbox WHERE status = 'sent' AND sent_at >= ? GROUP BY b`).all(start, bucketMs, start) as Array<Record<string, SQLInputValue>>;
  return rows.map((r) => ({ index: Number(r.b), delivered: Number(r.n), avgMs: Math.round(Number(r.avg)), maxMs: Number(r.max) }));
}
