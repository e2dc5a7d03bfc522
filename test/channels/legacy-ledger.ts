// The update ledger and its floor as the code before update-id sequences created them (no
// sequence column, no telegram_offset): the migration tests start from it.
import type { DatabaseSync } from 'node:sqlite';

export const LEGACY_LEDGER = `
CREATE TABLE telegram_updates (
  bot TEXT NOT NULL, update_id INTEGER NOT NULL, outcome TEXT NOT NULL, chat_id INTEGER, thread_id INTEGER, tg_message_id INTEGER,
  message_id TEXT, detail TEXT, update_date INTEGER, committed_at INTEGER NOT NULL, answered INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bot, update_id)
);
CREATE INDEX telegram_updates_unanswered ON telegram_updates (bot) WHERE answered = 0 AND message_id IS NOT NULL;
CREATE TABLE telegram_ledger_floor (bot TEXT PRIMARY KEY, below INTEGER NOT NULL);
`;

const COLUMNS = 'bot, update_id, outcome, chat_id, thread_id, tg_message_id, message_id, detail, update_date, committed_at, answered';

/** Turn a current database back into one the old code wrote: the same rows, the old tables, no offset row. */
export function makeLegacy(db: DatabaseSync): void {
  db.exec(`BEGIN;
    ALTER TABLE telegram_updates RENAME TO current_updates; DROP INDEX telegram_updates_unanswered;
    ALTER TABLE telegram_ledger_floor RENAME TO current_floor;
    ${LEGACY_LEDGER}
    INSERT INTO telegram_updates (${COLUMNS}) SELECT ${COLUMNS} FROM current_updates;
    INSERT INTO telegram_ledger_floor (bot, below) SELECT bot, below FROM current_floor;
    DROP TABLE current_updates; DROP TABLE current_floor; DROP TABLE IF EXISTS telegram_offset;
    COMMIT;`);
}
