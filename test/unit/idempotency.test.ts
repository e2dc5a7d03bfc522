// Idempotency keys on a real SQLite file: a key names its first message (in its session, within the
// window, across a reopen), a different text under it is refused, and an expired key names a new one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { IDEMPOTENCY_WINDOW_MS } from '../../src/gateway/idempotency.js';
import { SessionStore } from '../../src/gateway/store.js';
import { tempDir } from './helpers.js';

function open(file: string): SessionStore {
  return SessionStore.open(file).store;
}

test('a key names its first message, per session, across a reopen; another text is refused', (t) => {
  const file = join(tempDir(t), 'sessions.db');
  const store = open(file);
  const first = store.addUserMessageOnce('s', 'hello', 'k1');
  assert.ok(first.kind === 'added');
  const again = store.addUserMessageOnce('s', 'hello', 'k1');
  assert.deepEqual([again.kind, again.kind === 'key_reused' ? null : again.message.id], ['replayed', first.message.id]);
  store.close();
  const reopened = open(file);
  t.after(() => reopened.close());
  const later = reopened.addUserMessageOnce('s', 'hello', 'k1');
  assert.deepEqual([later.kind, later.kind === 'key_reused' ? null : later.message.id], ['replayed', first.message.id]);
  assert.deepEqual(reopened.addUserMessageOnce('s', 'bye', 'k1'), { kind: 'key_reused', messageId: first.message.id });
  assert.equal(reopened.addUserMessageOnce('t', 'hello', 'k1').kind, 'added', 'keys are per session');
  assert.deepEqual(reopened.session('s').map((m) => m.text), ['hello']);
});

test('a key past the window names a new message', (t) => {
  const file = join(tempDir(t), 'sessions.db');
  const store = open(file);
  t.after(() => store.close());
  const first = store.addUserMessageOnce('s', 'hello', 'k1');
  assert.ok(first.kind === 'added');
  const db = new DatabaseSync(file);
  db.prepare('UPDATE idempotency_keys SET created_at = ?').run(Date.now() - IDEMPOTENCY_WINDOW_MS - 1_000);
  db.close();
  const second = store.addUserMessageOnce('s', 'hello', 'k1');
  assert.ok(second.kind === 'added');
  assert.notEqual(second.message.id, first.message.id);
  assert.equal(store.addUserMessageOnce('s', 'hello', 'k1').kind, 'replayed');
});
