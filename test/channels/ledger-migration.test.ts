// A database from before update-id sequences (telegram_updates keyed by bot and update_id, no
// telegram_offset): opening it keeps every ledger row, takes over the offset the old rule gave
// (MAX(update_id) + 1, raised to the floor) once and stores it, so the offset no longer depends on
// the ledger; the floor and the rows still make a redelivered update a duplicate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { TelegramTables } from '../../src/channels/telegram/tables.js';
import { tempDir } from '../unit/helpers.js';
import { LEGACY_LEDGER } from './legacy-ledger.js';

function legacyDatabase(file: string): void {
  const db = new DatabaseSync(file);
  db.exec(LEGACY_LEDGER);
  const insert = db.prepare("INSERT INTO telegram_updates (bot, update_id, outcome, chat_id, tg_message_id, message_id, committed_at, answered) VALUES (?, ?, 'accepted', 111, ?, ?, 0, ?)");
  for (let id = 5_003; id <= 5_009; id++) insert.run('A', id, id, id === 5_008 ? 'msg_open' : null, id === 5_008 ? 0 : 1);
  db.exec("INSERT INTO telegram_ledger_floor (bot, below) VALUES ('A', 5003), ('B', 7000)");
  db.close();
}

test('an old ledger keeps its rows and its offset, taken over once', (t) => {
  const file = join(tempDir(t), 'sessions.db');
  legacyDatabase(file);
  let db = new DatabaseSync(file);
  const a = new TelegramTables(db, 'A');
  assert.equal(a.nextOffset(), 5_010, 'one past the last update, as before');
  assert.equal(new TelegramTables(db, 'B').nextOffset(), 7_000, 'a bot whose rows were all pruned: its floor');
  assert.deepEqual(db.prepare('SELECT bot, next, sequence FROM telegram_offset ORDER BY bot').all().map((r) => ({ ...r })),
    [{ bot: 'A', next: 5_010, sequence: 0 }, { bot: 'B', next: 7_000, sequence: 0 }], 'stored, in sequence 0');
  assert.equal(Number((db.prepare('SELECT COUNT(*) AS c FROM telegram_updates WHERE sequence = 0').get() as { c: number }).c), 7, 'every row kept');
  assert.ok(a.isRecorded(5_001) && a.isRecorded(5_009) && !a.isRecorded(5_010), 'below the floor and the rows: duplicates; the next one is new');
  assert.ok(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'telegram_updates_unanswered' AND tbl_name = 'telegram_updates'").get() !== undefined);
  assert.equal(Number((db.prepare('SELECT COUNT(*) AS c FROM telegram_updates WHERE answered = 0').get() as { c: number }).c), 1, 'the open one is still open');

  // Telegram's ids went lower: the offset follows what was received, and reopening derives nothing again.
  a.recordUpdate({ bot: 'A', updateId: 120, outcome: 'ignored', chat: null, tgMessageId: null, messageId: null, detail: null, updateDate: null });
  db.close();
  db = new DatabaseSync(file);
  t.after(() => db.close());
  assert.equal(new TelegramTables(db, 'A').nextOffset(), 121);
});
