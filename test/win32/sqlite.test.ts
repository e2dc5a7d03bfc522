// The store's engine under Windows: node:sqlite in WAL mode, seen by a second connection.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { skipUnlessWin32, tempDir } from './win32-helpers.js';

test('node:sqlite runs in WAL mode and a second connection reads committed rows', { skip: skipUnlessWin32 }, () => {
  const file = join(tempDir('sqlite'), 'store.db');
  const writer = new DatabaseSync(file);
  const reader = new DatabaseSync(file);
  try {
    assert.deepEqual({ ...writer.prepare('PRAGMA journal_mode=WAL').get() }, { journal_mode: 'wal' });
    writer.exec('CREATE TABLE messages (id INTEGER PRIMARY KEY, text TEXT NOT NULL)');
    writer.prepare('INSERT INTO messages (text) VALUES (?)').run('hello');
    assert.deepEqual({ ...reader.prepare('SELECT count(*) AS n FROM messages').get() }, { n: 1 });
    assert.ok(readdirSync(join(file, '..')).includes('store.db-wal'), 'the WAL file exists');
  } finally {
    reader.close();
    writer.close();
  }
});
