// The Telegram channel's tables, in the session store's database (same connection, same
// transactions; the `messages` table is not touched). telegram_updates is the inbound ledger: one
// row per (bot, sequence, update_id), written in the transaction that commits the update's session
// message, so a redelivered update is a no-op. The same transaction records the offset of the next
// getUpdates in telegram_offset (one past that update), so the offset is what was received, never
// derived from the ledger: Telegram starts its update ids over at a random value after a week
// without updates, and a MAX(update_id) from the old sequence would never confirm the new one
// (go-telegram-bot-api#156). `sequence` counts those restarts, so the new ids never meet the old
// rows. telegram_outbox holds one row per reply part; a part moves pending -> sending -> sent, or to
// dead / unknown. Old rows of both are removed by retention.ts, which leaves a floor and counts behind.
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { migrateToSequences } from './ledger-migration.js';
import type { ChatRef, TgUpdate } from './types.js';

const LEDGER_SCHEMA = `
CREATE TABLE IF NOT EXISTS telegram_updates (
  bot TEXT NOT NULL,
  sequence INTEGER NOT NULL DEFAULT 0,
  update_id INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  chat_id INTEGER,
  thread_id INTEGER,
  tg_message_id INTEGER,
  message_id TEXT,
  detail TEXT,
  update_date INTEGER,
  committed_at INTEGER NOT NULL,
  answered INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bot, sequence, update_id)
);
CREATE INDEX IF NOT EXISTS telegram_updates_unanswered ON telegram_updates (bot) WHERE answered = 0 AND message_id IS NOT NULL;
`;

const SCHEMA = `${LEDGER_SCHEMA}
CREATE TABLE IF NOT EXISTS telegram_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  bot TEXT NOT NULL,
  source TEXT NOT NULL,
  part INTEGER NOT NULL,
  parts INTEGER NOT NULL,
  chat_id INTEGER NOT NULL,
  thread_id INTEGER,
  reply_to_tg INTEGER,
  text TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'dead', 'unknown')),
  attempts INTEGER NOT NULL DEFAULT 0,
  resends INTEGER NOT NULL DEFAULT 0,
  possible_duplicate INTEGER NOT NULL DEFAULT 0,
  telegram_message_id INTEGER,
  error TEXT,
  not_before INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  sent_at INTEGER,
  UNIQUE (source, part)
);
CREATE INDEX IF NOT EXISTS telegram_outbox_open ON telegram_outbox (bot, seq) WHERE status IN ('pending', 'sending');
CREATE INDEX IF NOT EXISTS telegram_outbox_sent ON telegram_outbox (bot, sent_at) WHERE status = 'sent';
CREATE INDEX IF NOT EXISTS telegram_outbox_dead ON telegram_outbox (bot, updated_at) WHERE status IN ('dead', 'unknown');
-- The offset of the next getUpdates (one past the last update received, written with its ledger
-- row) and the sequence of update ids it belongs to (0, then one more each time Telegram's ids
-- started over).
CREATE TABLE IF NOT EXISTS telegram_offset (
  bot TEXT PRIMARY KEY,
  next INTEGER NOT NULL,
  sequence INTEGER NOT NULL DEFAULT 0
);
-- What retention.ts removed. below: every update id of that sequence under it was handled, and its
-- ledger row may be gone (a row still unanswered is never removed); an update under it is a
-- duplicate, row or not, while its ids are that sequence's.
CREATE TABLE IF NOT EXISTS telegram_ledger_floor (
  bot TEXT PRIMARY KEY,
  below INTEGER NOT NULL,
  sequence INTEGER NOT NULL DEFAULT 0
);
-- Counts of the removed rows (what: update:<outcome>, part:sent, part:possible_duplicate), so the
-- totals in status stay totals.
CREATE TABLE IF NOT EXISTS telegram_pruned (
  bot TEXT NOT NULL,
  what TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (bot, what)
);
CREATE TABLE IF NOT EXISTS telegram_state (
  name TEXT PRIMARY KEY,
  bot TEXT,
  username TEXT,
  state TEXT NOT NULL,
  detail TEXT,
  worker_pid INTEGER,
  last_poll_at INTEGER,
  last_error TEXT,
  last_error_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS telegram_restarts (
  update_id INTEGER NOT NULL,
  bot TEXT NOT NULL,
  chat_id INTEGER NOT NULL,
  thread_id INTEGER,
  requested_by_pid INTEGER NOT NULL,
  requested_at INTEGER NOT NULL,
  confirmed_at INTEGER,
  PRIMARY KEY (bot, update_id)
);
`;

export type UpdateOutcome = 'accepted' | 'command' | 'unknown_sender' | 'skipped_old' | 'ignored';
export type PartStatus = 'pending' | 'sending' | 'sent' | 'dead' | 'unknown';

export interface UpdateRecord {
  readonly bot: string;
  readonly updateId: number;
  readonly outcome: UpdateOutcome;
  readonly chat: ChatRef | null;
  readonly tgMessageId: number | null;
  readonly messageId: string | null;
  readonly detail: string | null;
  readonly updateDate: number | null;
}

export interface OutboxPart {
  readonly seq: number;
  readonly source: string;
  readonly part: number;
  readonly parts: number;
  readonly chatId: number;
  readonly threadId: number | null;
  readonly replyToTg: number | null;
  readonly text: string;
  readonly status: PartStatus;
  readonly attempts: number;
  readonly resends: number;
  readonly notBefore: number;
  /** When the part entered the outbox (ms since the epoch): its delivery latency counts from here. */
  readonly createdAt: number;
}

export interface Unanswered {
  readonly updateId: number;
  readonly sequence: number;
  readonly chat: ChatRef;
  readonly tgMessageId: number | null;
  readonly messageId: string;
  readonly status: string;
  readonly error: string | null;
  readonly replyId: string | null;
  readonly replyText: string | null;
}

export function ensureSchema(db: DatabaseSync): void {
  db.exec(SCHEMA);
  migrateToSequences(db, LEDGER_SCHEMA);
}

/** The sequence of update ids the bot's ledger is in now (0 until Telegram's ids first started over). */
export function currentSequence(db: DatabaseSync, bot: string): number {
  const row = db.prepare('SELECT sequence FROM telegram_offset WHERE bot = ?').get(bot) as { sequence: number } | undefined;
  return row === undefined ? 0 : Number(row.sequence);
}

const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export class TelegramTables {
  constructor(private readonly db: DatabaseSync, private readonly bot: string) {
    ensureSchema(db);
  }

  /** The offset for the next getUpdates: one past the last update received (0: none yet). */
  nextOffset(): number {
    const row = this.db.prepare('SELECT next FROM telegram_offset WHERE bot = ?').get(this.bot) as { next: number } | undefined;
    return row === undefined ? 0 : Number(row.next);
  }

  sequence(): number {
    return currentSequence(this.db, this.bot);
  }

  /**
   * Telegram's update ids started over at firstId: a new sequence, whose ids may repeat the old
   * ones. One statement, so it holds alone: the offset becomes firstId (nothing of the new sequence
   * is taken yet) and the next getUpdates hands firstId out again should its commit not happen.
   * Returns the new sequence.
   */
  startSequence(firstId: number): number {
    const row = this.db.prepare(`INSERT INTO telegram_offset (bot, next, sequence) VALUES (?, ?, 1)
      ON CONFLICT (bot) DO UPDATE SET next = excluded.next, sequence = sequence + 1 RETURNING sequence`).get(this.bot, firstId) as { sequence: number };
    return Number(row.sequence);
  }

  /** Every update id of the current sequence below this was handled (its ledger row may have been pruned); 0: none pruned. */
  floor(): number {
    const row = this.db.prepare('SELECT below, sequence FROM telegram_ledger_floor WHERE bot = ?').get(this.bot) as { below: number; sequence: number } | undefined;
    return row === undefined || Number(row.sequence) !== this.sequence() ? 0 : Number(row.below);
  }

  /** Committed before, in the current sequence: its row is there, or it is below the floor of what retention removed. */
  isRecorded(updateId: number): boolean {
    return updateId < this.floor() || this.db.prepare('SELECT 1 FROM telegram_updates WHERE bot = ? AND sequence = ? AND update_id = ?').get(this.bot, this.sequence(), updateId) !== undefined;
  }

  /** The ledger holds this very message (same update id, chat and message id) in the current sequence: Telegram handed it out again. */
  holds(update: TgUpdate): boolean {
    const message = update.message;
    if (message === undefined) return false;
    return this.db.prepare('SELECT 1 FROM telegram_updates WHERE bot = ? AND sequence = ? AND update_id = ? AND chat_id = ? AND tg_message_id = ?')
      .get(this.bot, this.sequence(), update.update_id, message.chat.id, message.message_id) !== undefined;
  }

  /** The outbox source of an update's own answer (a command's, a notice); the sequence keeps a repeated id apart. */
  updateSource(updateId: number): string {
    const sequence = this.sequence();
    return sequence === 0 ? `update:${updateId}` : `update:${sequence}:${updateId}`;
  }

  /**
   * Inside the caller's transaction. The primary key refuses a second row for the same update. The
   * offset moves to one past it, down as well as up: it is what Telegram handed out last.
   */
  recordUpdate(r: UpdateRecord): void {
    const sequence = this.sequence();
    this.db.prepare(`INSERT INTO telegram_updates (bot, sequence, update_id, outcome, chat_id, thread_id, tg_message_id, message_id, detail, update_date, committed_at, answered)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      r.bot, sequence, r.updateId, r.outcome, r.chat?.chatId ?? null, r.chat?.threadId ?? null, r.tgMessageId, r.messageId, r.detail, r.updateDate, Date.now(), r.messageId === null ? 1 : 0,
    );
    this.db.prepare('INSERT INTO telegram_offset (bot, next, sequence) VALUES (?, ?, ?) ON CONFLICT (bot) DO UPDATE SET next = excluded.next')
      .run(this.bot, r.updateId + 1, sequence);
  }

  /** Inside the caller's transaction. Idempotent: parts of a source already there are kept as they are. */
  addParts(source: string, chat: ChatRef, replyToTg: number | null, texts: readonly string[]): void {
    const now = Date.now();
    const insert = this.db.prepare(`INSERT OR IGNORE INTO telegram_outbox (bot, source, part, parts, chat_id, thread_id, reply_to_tg, text, status, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`);
    texts.forEach((text, i) => insert.run(this.bot, source, i + 1, texts.length, chat.chatId, chat.threadId, i === 0 ? replyToTg : null, text, now, now));
  }

  /** Updates that became session messages whose reply has not yet been turned into outbox parts. */
  unanswered(): Unanswered[] {
    const rows = this.db.prepare(`SELECT u.update_id, u.sequence, u.chat_id, u.thread_id, u.tg_message_id, u.message_id, m.status, m.error, r.id AS reply_id, r.text AS reply_text
      FROM telegram_updates u JOIN messages m ON m.id = u.message_id LEFT JOIN messages r ON r.reply_to = u.message_id
      WHERE u.bot = ? AND u.answered = 0 AND u.message_id IS NOT NULL ORDER BY u.sequence, u.update_id`).all(this.bot) as Array<Record<string, SQLInputValue>>;
    return rows.map((r) => ({
      updateId: Number(r.update_id), sequence: Number(r.sequence), chat: { chatId: Number(r.chat_id), threadId: n(r.thread_id) }, tgMessageId: n(r.tg_message_id),
      messageId: String(r.message_id), status: String(r.status), error: r.error === null ? null : String(r.error),
      replyId: r.reply_id === null ? null : String(r.reply_id), replyText: r.reply_text === null ? null : String(r.reply_text),
    }));
  }

  unansweredCount(): number {
    return Number((this.db.prepare('SELECT COUNT(*) AS c FROM telegram_updates WHERE bot = ? AND answered = 0 AND message_id IS NOT NULL').get(this.bot) as { c: number }).c);
  }

  markAnswered(updateId: number, sequence: number = this.sequence()): void {
    this.db.prepare('UPDATE telegram_updates SET answered = 1 WHERE bot = ? AND sequence = ? AND update_id = ?').run(this.bot, sequence, updateId);
  }

  /** Chats with a part to deliver that is due by `at`. */
  chatsWithDueParts(at: number): number[] {
    return (this.db.prepare("SELECT DISTINCT chat_id FROM telegram_outbox WHERE bot = ? AND status IN ('pending', 'sending') AND not_before <= ?").all(this.bot, at) as Array<{ chat_id: number }>).map((r) => Number(r.chat_id));
  }

  /** The chat's oldest part not yet delivered: parts of a chat go strictly in order. */
  nextPart(chatId: number): OutboxPart | undefined {
    return this.openParts(chatId)[0];
  }

  /** Parts not yet delivered, oldest first (of one chat, or all). */
  openParts(chatId?: number): OutboxPart[] {
    const rows = (chatId === undefined
      ? this.db.prepare("SELECT * FROM telegram_outbox WHERE bot = ? AND status IN ('pending', 'sending') ORDER BY seq").all(this.bot)
      : this.db.prepare("SELECT * FROM telegram_outbox WHERE bot = ? AND chat_id = ? AND status IN ('pending', 'sending') ORDER BY seq LIMIT 1").all(this.bot, chatId)) as Array<Record<string, SQLInputValue>>;
    return rows.map((r) => ({
      seq: Number(r.seq), source: String(r.source), part: Number(r.part), parts: Number(r.parts), chatId: Number(r.chat_id), threadId: n(r.thread_id),
      replyToTg: n(r.reply_to_tg), text: String(r.text), status: String(r.status) as PartStatus, attempts: Number(r.attempts), resends: Number(r.resends),
      notBefore: Number(r.not_before), createdAt: Number(r.created_at),
    }));
  }

  /** Recorded before the request goes out: a part found `sending` later may have been delivered. */
  markSending(seq: number): void {
    this.db.prepare("UPDATE telegram_outbox SET status = 'sending', attempts = attempts + 1, updated_at = ? WHERE seq = ?").run(Date.now(), seq);
  }

  markSent(seq: number, telegramMessageId: number | null): void {
    const now = Date.now();
    this.db.prepare("UPDATE telegram_outbox SET status = 'sent', telegram_message_id = ?, possible_duplicate = CASE WHEN resends > 0 THEN 1 ELSE 0 END, error = NULL, sent_at = ?, updated_at = ? WHERE seq = ?")
      .run(telegramMessageId, now, now, seq);
  }

  /** Not delivered, try again no earlier than notBefore (a 429, a 5xx, a network failure before sending). */
  retryLater(seq: number, error: string, notBefore: number): void {
    this.db.prepare("UPDATE telegram_outbox SET status = 'pending', error = ?, not_before = ?, updated_at = ? WHERE seq = ?").run(error, notBefore, Date.now(), seq);
  }

  createdAt(seq: number): number | null {
    const row = this.db.prepare('SELECT created_at FROM telegram_outbox WHERE seq = ?').get(seq) as { created_at: number } | undefined;
    return row === undefined ? null : Number(row.created_at);
  }

  markDead(seq: number, reason: string): void {
    this.db.prepare("UPDATE telegram_outbox SET status = 'dead', error = ?, updated_at = ? WHERE seq = ?").run(reason, Date.now(), seq);
  }

  /**
   * The outcome of the last attempt is unknown (no answer after the request went out, or a worker
   * that died while sending). The policy: send it once more and, if it then goes through, count it
   * as a possible duplicate; a second unknown outcome stops it as `unknown`. Returns the new status.
   */
  outcomeUnknown(seq: number, why: string): PartStatus {
    const row = this.db.prepare('SELECT resends FROM telegram_outbox WHERE seq = ?').get(seq) as { resends: number } | undefined;
    const now = Date.now();
    if (row !== undefined && Number(row.resends) >= 1) {
      this.db.prepare("UPDATE telegram_outbox SET status = 'unknown', error = ?, updated_at = ? WHERE seq = ?").run(`outcome unknown twice: ${why}`, now, seq);
      return 'unknown';
    }
    this.db.prepare("UPDATE telegram_outbox SET status = 'pending', resends = resends + 1, error = ?, updated_at = ? WHERE seq = ?").run(`outcome unknown, sending once more: ${why}`, now, seq);
    return 'pending';
  }

  /** At the start of a sender's life: parts an earlier life left `sending`. */
  sendingLeftOver(): number[] {
    return (this.db.prepare("SELECT seq FROM telegram_outbox WHERE bot = ? AND status = 'sending' ORDER BY seq").all(this.bot) as Array<{ seq: number }>).map((r) => Number(r.seq));
  }

  /** An update id of an earlier sequence may come again: its request (long confirmed) gives way. */
  recordRestartRequest(updateId: number, chat: ChatRef): void {
    this.db.prepare(`INSERT INTO telegram_restarts (update_id, bot, chat_id, thread_id, requested_by_pid, requested_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (bot, update_id) DO UPDATE SET chat_id = excluded.chat_id, thread_id = excluded.thread_id, requested_by_pid = excluded.requested_by_pid,
        requested_at = excluded.requested_at, confirmed_at = NULL`)
      .run(updateId, this.bot, chat.chatId, chat.threadId, process.pid, Date.now());
  }

  /** Restart requests made by another worker (so the restart happened) and not yet confirmed. */
  restartsToConfirm(): Array<{ updateId: number; chat: ChatRef; requestedAt: number; byPid: number }> {
    const rows = this.db.prepare('SELECT * FROM telegram_restarts WHERE bot = ? AND confirmed_at IS NULL AND requested_by_pid != ?').all(this.bot, process.pid) as Array<Record<string, SQLInputValue>>;
    return rows.map((r) => ({ updateId: Number(r.update_id), chat: { chatId: Number(r.chat_id), threadId: n(r.thread_id) }, requestedAt: Number(r.requested_at), byPid: Number(r.requested_by_pid) }));
  }

  confirmRestart(updateId: number): void {
    this.db.prepare('UPDATE telegram_restarts SET confirmed_at = ? WHERE bot = ? AND update_id = ?').run(Date.now(), this.bot, updateId);
  }

}

export interface StateFields {
  readonly state: string;
  readonly detail: string | null;
  readonly bot?: string | null;
  readonly username?: string | null;
  readonly lastPollAt?: number;
  readonly lastError?: string | null;
}

/** The channel's own view of itself (keyed by channel name: a channel without a readable token has no bot id). */
export function writeChannelState(db: DatabaseSync, name: string, fields: StateFields): void {
  ensureSchema(db);
  const now = Date.now();
  db.prepare(`INSERT INTO telegram_state (name, bot, username, state, detail, worker_pid, last_poll_at, last_error, last_error_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET bot = COALESCE(excluded.bot, bot), username = COALESCE(excluded.username, username), state = excluded.state,
      detail = excluded.detail, worker_pid = excluded.worker_pid, last_poll_at = COALESCE(excluded.last_poll_at, last_poll_at),
      last_error = COALESCE(excluded.last_error, last_error), last_error_at = COALESCE(excluded.last_error_at, last_error_at), updated_at = excluded.updated_at`)
    .run(name, fields.bot ?? null, fields.username ?? null, fields.state, fields.detail, process.pid, fields.lastPollAt ?? null,
      fields.lastError ?? null, fields.lastError == null ? null : now, now);
}

/** Forget channels no longer configured. */
export function pruneChannelStates(db: DatabaseSync, names: readonly string[]): void {
  ensureSchema(db);
  const rows = db.prepare('SELECT name FROM telegram_state').all() as Array<{ name: string }>;
  for (const row of rows) if (!names.includes(row.name)) db.prepare('DELETE FROM telegram_state WHERE name = ?').run(row.name);
}
