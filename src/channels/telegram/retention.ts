// How long the channel's tables keep their rows. Without it the database grows with every chat
// message for as long as the gateway runs: one ledger row per update, one outbox row per part.
//
// The ledger (telegram_updates) exists to make a redelivered update a no-op. Telegram redelivers
// only updates at or above the offset of the last getUpdates it answered (everything below is
// confirmed and forgotten, https://core.telegram.org/bots/api#getupdates), so a row far below that
// offset guards nothing. A pass removes answered rows more than `keepUpdates` ids below the last
// confirmed offset (a margin of recent history to look at when something went wrong) and raises
// the ledger's floor past them, in the same transaction: an update below the floor counts as
// committed even without its row, so exactly-once does not rest on Telegram's word or on the
// margin. A row whose message is not answered yet (its reply not yet in the outbox) is never
// removed: the outbox pass still needs it. Once Telegram's ids started over (a new sequence, see
// tables.ts), the rows of the earlier sequences guard nothing (Telegram forgot that queue), so their
// answered rows go first, whatever their ids, and the floor is the current sequence's alone.
// Sent parts are kept SENT_KEEP_MS (the dashboard charts 6 h of deliveries), dead letters
// DEAD_KEEP_MS (long enough for someone to look, retry or discard them). Removed rows are counted
// in telegram_pruned, so status totals stay totals. Each pass removes at most PRUNE_BATCH rows per
// table, one short transaction each, and opens none when nothing is due.
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { currentSequence } from './tables.js';

/** At most this many rows per table and pass: twice a full getUpdates batch, so removal keeps up with arrival. */
export const PRUNE_BATCH = 200;
/** Parts Telegram confirmed are kept this long (7 days) after they were sent. */
export const SENT_KEEP_MS = 7 * 24 * 3_600_000;
/** Dead letters (refused, or outcome unknown twice) are kept this long (30 days) after their last change. */
export const DEAD_KEEP_MS = 30 * 24 * 3_600_000;

export interface PruneResult {
  readonly updates: number;
  readonly sent: number;
  readonly dead: number;
}

type Run = (sql: string, ...params: SQLInputValue[]) => Array<Record<string, SQLInputValue>>;

export class Retention {
  constructor(
    private readonly db: DatabaseSync,
    private readonly bot: string,
    private readonly keepUpdates: number,
    /** The store's write transaction (BEGIN IMMEDIATE), shared with the rest of the channel. */
    private readonly inTransaction: <T>(work: () => T) => T,
  ) {}

  /** One bounded pass. confirmedOffset: the offset of the last getUpdates Telegram answered. */
  pass(confirmedOffset: number, now: number = Date.now()): PruneResult {
    return {
      updates: this.pruneLedger(confirmedOffset - this.keepUpdates),
      sent: this.pruneSent(now - SENT_KEEP_MS),
      dead: this.pruneDead(now - DEAD_KEEP_MS),
    };
  }

  private all: Run = (sql, ...params) => this.db.prepare(sql).all(...params) as Array<Record<string, SQLInputValue>>;

  private due(sql: string, ...params: SQLInputValue[]): boolean {
    return this.db.prepare(`${sql} LIMIT 1`).get(...params) !== undefined;
  }

  /** Answered ledger rows of earlier sequences, then of this one below `below`, oldest first; the floor moves past what goes of this one. */
  private pruneLedger(below: number): number {
    const sequence = currentSequence(this.db, this.bot);
    const where = 'FROM telegram_updates WHERE bot = ? AND answered = 1 AND (sequence < ? OR update_id < ?)';
    if (!this.due(`SELECT 1 ${where}`, this.bot, sequence, below)) return 0;
    return this.inTransaction(() => {
      const gone = this.all(`DELETE FROM telegram_updates WHERE bot = ? AND (sequence, update_id) IN (SELECT sequence, update_id ${where} ORDER BY sequence, update_id LIMIT ?)
        RETURNING sequence, update_id, outcome`, this.bot, this.bot, sequence, below, PRUNE_BATCH);
      const current = gone.filter((r) => Number(r.sequence) === sequence).map((r) => Number(r.update_id));
      if (current.length > 0) {
        this.db.prepare(`INSERT INTO telegram_ledger_floor (bot, below, sequence) VALUES (?, ?, ?) ON CONFLICT (bot) DO UPDATE
          SET below = CASE WHEN sequence = excluded.sequence THEN MAX(below, excluded.below) ELSE excluded.below END, sequence = excluded.sequence`)
          .run(this.bot, Math.max(...current) + 1, sequence);
      }
      this.count(gone.map((r) => `update:${String(r.outcome)}`));
      return gone.length;
    });
  }

  /** Parts sent before `before`, unless another part of the same reply is still on its way. */
  private pruneSent(before: number): number {
    const where = `FROM telegram_outbox t WHERE bot = ? AND status = 'sent' AND sent_at < ?
      AND NOT EXISTS (SELECT 1 FROM telegram_outbox o WHERE o.source = t.source AND o.status IN ('pending', 'sending'))`;
    if (!this.due(`SELECT 1 ${where}`, this.bot, before)) return 0;
    return this.inTransaction(() => {
      const gone = this.all(`DELETE FROM telegram_outbox WHERE seq IN (SELECT seq ${where} ORDER BY sent_at LIMIT ?) RETURNING possible_duplicate`, this.bot, before, PRUNE_BATCH);
      this.count(gone.flatMap((r) => (Number(r.possible_duplicate) === 1 ? ['part:sent', 'part:possible_duplicate'] : ['part:sent'])));
      return gone.length;
    });
  }

  /** Dead letters untouched since `before` (status counts the dead letters held, so none are counted). */
  private pruneDead(before: number): number {
    const where = "FROM telegram_outbox WHERE bot = ? AND status IN ('dead', 'unknown') AND updated_at < ?";
    if (!this.due(`SELECT 1 ${where}`, this.bot, before)) return 0;
    return this.inTransaction(() => this.all(`DELETE FROM telegram_outbox WHERE seq IN (SELECT seq ${where} ORDER BY updated_at LIMIT ?) RETURNING seq`, this.bot, before, PRUNE_BATCH).length);
  }

  private count(whats: readonly string[]): void {
    const tally = new Map<string, number>();
    for (const what of whats) tally.set(what, (tally.get(what) ?? 0) + 1);
    const add = this.db.prepare('INSERT INTO telegram_pruned (bot, what, count) VALUES (?, ?, ?) ON CONFLICT (bot, what) DO UPDATE SET count = count + excluded.count');
    for (const [what, n] of tally) add.run(this.bot, what, n);
  }
}

/** What retention removed of a bot, by `what` (for status totals); empty when nothing was. */
export function prunedCounts(db: DatabaseSync, bot: string): Map<string, number> {
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'telegram_pruned'").get() === undefined) return new Map();
  const rows = db.prepare('SELECT what, count FROM telegram_pruned WHERE bot = ?').all(bot) as Array<{ what: string; count: number }>;
  return new Map(rows.map((r) => [r.what, Number(r.count)]));
}
