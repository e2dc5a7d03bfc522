// A database that cannot grow (SQLite's max_page_count reached, which SQLite reports exactly like a
// full disk: SQLITE_FULL, the transaction already rolled back). Every write in a transaction must
// fail with store_full, not with the "cannot rollback - no transaction is active" of a ROLLBACK sent
// after SQLite's own (a SQL logic error, which the API answers 500 and the dispatcher treats as a
// bug), and the store must take writes again, with nothing half-written, once there is room.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SessionStore } from '../../src/gateway/store.js';
import { classifyStoreError } from '../../src/gateway/store-errors.js';
import { tempDir } from './helpers.js';

/** Larger than a page, so the write needs pages the database may not take. */
const BIG = 'x'.repeat(200_000);

function openStore(t: TestContext): SessionStore {
  const { store } = SessionStore.open(join(tempDir(t), 'sessions.db'));
  t.after(() => store.close());
  return store;
}

/** The connection may not grow the file past its current size: the next page it needs is refused. */
function fill(store: SessionStore): () => void {
  const db = store.database;
  const { page_count: pages } = db.prepare('PRAGMA page_count').get() as { page_count: number };
  db.exec(`PRAGMA max_page_count = ${pages}`);
  return () => db.exec('PRAGMA max_page_count = 1073741823');
}

function storeFailure(work: () => unknown): string {
  let thrown: unknown = null;
  try {
    work();
  } catch (error) {
    thrown = error;
  }
  assert.notEqual(thrown, null, 'the write must fail while the database is full');
  const failure = classifyStoreError(thrown);
  assert.ok(failure !== null, `a storage condition, not a bug: ${String(thrown)}`);
  return failure.code;
}

test('a transaction on a full database fails with store_full (not "no transaction is active"), and the store works once there is room', (t) => {
  const store = openStore(t);
  const first = store.addUserMessage('s1', 'before the disk filled');
  const room = fill(store);

  assert.equal(storeFailure(() => store.addUserMessageOnce('s1', BIG, 'key-1')), 'store_full');
  assert.equal(storeFailure(() => store.complete(first.id, BIG)), 'store_full');
  assert.equal(storeFailure(() => store.inTransaction(() => store.addUserMessage('s1', BIG))), 'store_full');
  assert.equal(store.database.isTransaction, false, 'no transaction is left open');

  room();
  // Nothing half-written: the message is still open and has no reply; the key names nothing yet.
  assert.equal(store.get(first.id)?.status, 'queued');
  assert.deepEqual(store.session('s1').map((m) => m.text), ['before the disk filled']);
  assert.equal(store.complete(first.id, 'the reply'), true);
  assert.equal(store.addUserMessageOnce('s1', BIG, 'key-1').kind, 'added');
  assert.equal(store.addUserMessageOnce('s1', BIG, 'key-1').kind, 'replayed');
});
