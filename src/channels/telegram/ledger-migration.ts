// Databases written before update-id sequences: telegram_updates keyed by (bot, update_id), the
// floor without its sequence, and no telegram_offset row, the offset having been MAX(update_id) + 1
// raised to the floor. Once per database: the ledger is rebuilt with its rows in sequence 0 (SQLite
// cannot change a primary key in place), the floor is tied to sequence 0, and each bot's offset is
// derived one last time by that old rule and stored, so an upgraded gateway polls on from where it
// was. One transaction: a crash halfway leaves the old tables as they were.
import type { DatabaseSync } from 'node:sqlite';

const LEDGER_COLUMNS = 'bot, update_id, outcome, chat_id, thread_id, tg_message_id, message_id, detail, update_date, committed_at, answered';

/** The connections already checked (ensureSchema runs at every channel state write). */
const checked = new WeakSet<DatabaseSync>();

function hasColumn(db: DatabaseSync, table: string, column: string): boolean {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).some((c) => c.name === column);
}

function migrate(db: DatabaseSync, schema: string): void {
  db.exec('ALTER TABLE telegram_updates RENAME TO telegram_updates_v1');
  // Its indexes went along with it, under their names: make room for the new table's.
  for (const index of db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'telegram_updates_v1' AND sql IS NOT NULL").all() as Array<{ name: string }>) {
    db.exec(`DROP INDEX ${index.name}`);
  }
  db.exec(schema);
  db.exec(`INSERT INTO telegram_updates (sequence, ${LEDGER_COLUMNS}) SELECT 0, ${LEDGER_COLUMNS} FROM telegram_updates_v1`);
  db.exec('DROP TABLE telegram_updates_v1');
  if (!hasColumn(db, 'telegram_ledger_floor', 'sequence')) db.exec('ALTER TABLE telegram_ledger_floor ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0');
  db.exec(`INSERT OR IGNORE INTO telegram_offset (bot, next, sequence)
    SELECT bot, MAX(next), 0 FROM (SELECT bot, MAX(update_id) + 1 AS next FROM telegram_updates GROUP BY bot UNION ALL SELECT bot, below FROM telegram_ledger_floor) GROUP BY bot`);
}

/**
 * Bring an old ledger to sequences; a no-op on a current one. ledgerSchema: the CREATE TABLE and
 * CREATE INDEX statements of telegram_updates in their current shape.
 */
export function migrateToSequences(db: DatabaseSync, ledgerSchema: string): void {
  if (checked.has(db)) return;
  if (!hasColumn(db, 'telegram_updates', 'sequence')) {
    // Under the write lock (or the caller's transaction), and checked again there: another
    // process opening the same database (a standby worker) may have just done it.
    const outer = db.isTransaction;
    db.exec(outer ? 'SAVEPOINT telegram_sequences' : 'BEGIN IMMEDIATE');
    try {
      if (!hasColumn(db, 'telegram_updates', 'sequence')) migrate(db, ledgerSchema);
      db.exec(outer ? 'RELEASE telegram_sequences' : 'COMMIT');
    } catch (error) {
      db.exec(outer ? 'ROLLBACK TO telegram_sequences; RELEASE telegram_sequences' : 'ROLLBACK');
      throw error;
    }
  }
  checked.add(db);
}
