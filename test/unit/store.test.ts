// SessionStore on a real SQLite file: WAL, ordering, exactly-once completion, resume bookkeeping,
// and a corrupt file moved aside (never deleted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { SessionStore } from '../../src/gateway/store.js';
import { tempDir } from './helpers.js';

function openStore(t: Parameters<typeof tempDir>[0], dir = tempDir(t)): { store: SessionStore; file: string } {
  const file = join(dir, 'sessions.db');
  const { store, movedAside } = SessionStore.open(file);
  assert.equal(movedAside, null);
  t.after(() => store.close());
  return { store, file };
}

test('open creates a WAL database', (t) => {
  const { file } = openStore(t);
  const other = new DatabaseSync(file);
  try {
    assert.deepEqual({ ...(other.prepare('PRAGMA journal_mode').get() as object) }, { journal_mode: 'wal' });
    assert.equal((other.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'messages'").get() as { n: number }).n, 1);
  } finally {
    other.close();
  }
});

test('addUserMessage commits a queued user message; session() keeps insertion order per session', (t) => {
  const { store } = openStore(t);
  const a = store.addUserMessage('s1', 'first');
  store.addUserMessage('s2', 'other');
  const b = store.addUserMessage('s1', 'second');
  const c = store.addUserMessage('s1', 'third');
  assert.match(a.id, /^msg_[0-9a-f-]{36}$/);
  assert.deepEqual(
    { sessionId: a.sessionId, role: a.role, text: a.text, status: a.status, replyTo: a.replyTo, resumeAttempts: a.resumeAttempts, error: a.error },
    { sessionId: 's1', role: 'user', text: 'first', status: 'queued', replyTo: null, resumeAttempts: 0, error: null },
  );
  assert.deepEqual(store.session('s1').map((m) => m.id), [a.id, b.id, c.id]);
  assert.deepEqual(store.session('s2').map((m) => m.text), ['other']);
  assert.deepEqual(store.session('nobody'), []);
  assert.equal(store.get('msg_nope'), null);
});

test('complete() stores one reply exactly once', (t) => {
  const { store } = openStore(t);
  const m = store.addUserMessage('s', 'hi');
  assert.equal(store.complete(m.id, 'reply 1'), true);
  assert.equal(store.complete(m.id, 'reply 2'), false);
  assert.equal(store.get(m.id)?.status, 'done');
  const replies = store.session('s').filter((x) => x.role === 'assistant');
  assert.equal(replies.length, 1);
  assert.deepEqual({ text: replies[0]?.text, replyTo: replies[0]?.replyTo, status: replies[0]?.status }, { text: 'reply 1', replyTo: m.id, status: 'done' });
  assert.equal(store.complete('msg_unknown', 'x'), false);
  const failed = store.addUserMessage('s', 'will fail');
  store.fail(failed.id, 'agent exploded');
  assert.equal(store.complete(failed.id, 'late'), false, 'a failed message is closed too');
  assert.equal(store.session('s').filter((x) => x.role === 'assistant').length, 1);
});

test('markResumePending touches only open messages; openMessages lists open user messages oldest first', (t) => {
  const { store } = openStore(t);
  const queued = store.addUserMessage('a', 'q');
  const processing = store.addUserMessage('b', 'p');
  store.setStatus(processing.id, 'processing');
  const done = store.addUserMessage('a', 'd');
  store.complete(done.id, 'r');
  const failed = store.addUserMessage('c', 'f');
  store.fail(failed.id, 'boom');

  assert.deepEqual(store.openMessages().map((m) => [m.text, m.status]), [['q', 'queued'], ['p', 'processing']]);
  assert.equal(store.markResumePending([queued.id, processing.id, done.id, failed.id, 'msg_unknown']), 2);
  assert.deepEqual([queued, processing, done, failed].map((m) => store.get(m.id)?.status), ['resume_pending', 'resume_pending', 'done', 'failed']);
  assert.deepEqual(store.openMessages().map((m) => m.id), [queued.id, processing.id]);
  assert.equal(store.markResumePending([]), 0);

  store.setStatus(done.id, 'queued');
  assert.equal(store.get(done.id)?.status, 'done', 'setStatus never reopens a closed message');
});

test('startAttempt marks processing and counts, fail records the error once', (t) => {
  const { store } = openStore(t);
  const m = store.addUserMessage('s', 'x');
  assert.equal(store.startAttempt(m.id), true);
  store.markResumePending([m.id]);
  assert.equal(store.startAttempt(m.id), true);
  assert.deepEqual([store.get(m.id)?.status, store.get(m.id)?.resumeAttempts], ['processing', 2]);
  store.fail(m.id, 'gave up');
  assert.deepEqual([store.get(m.id)?.status, store.get(m.id)?.error], ['failed', 'gave up']);
  store.fail(m.id, 'again');
  assert.equal(store.startAttempt(m.id), false, 'a closed message does not start again');
  assert.equal(store.get(m.id)?.error, 'gave up', 'a closed message keeps its first error');
  assert.deepEqual(store.openMessages(), []);
});

test('messages survive close and reopen', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'sessions.db');
  const first = SessionStore.open(file).store;
  const m = first.addUserMessage('s', 'durable');
  first.close();
  first.close(); // idempotent
  const second = SessionStore.open(file);
  t.after(() => second.store.close());
  assert.equal(second.movedAside, null);
  assert.equal(second.store.get(m.id)?.text, 'durable');
  assert.deepEqual(second.store.openMessages().map((x) => x.id), [m.id]);
});

test('a corrupt file is moved aside unchanged and a fresh store works', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'sessions.db');
  const junk = randomBytes(16 * 1024);
  writeFileSync(file, junk);
  const { store, movedAside } = SessionStore.open(file);
  t.after(() => store.close());
  assert.ok(movedAside !== null);
  assert.ok(movedAside.file.startsWith(`${file}.corrupt-`), movedAside.file);
  assert.ok(movedAside.reason.length > 0);
  assert.deepEqual(readFileSync(movedAside.file), junk, 'kept byte for byte');
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.corrupt-')).length, 1);
  const m = store.addUserMessage('s', 'after recovery');
  assert.equal(store.get(m.id)?.text, 'after recovery');
  assert.equal(existsSync(file), true);
});

test('an unusable location (a directory) throws and moves nothing', (t) => {
  const dir = tempDir(t);
  assert.throws(() => SessionStore.open(join(dir, 'no', 'such', 'dir', 'sessions.db')));
  assert.deepEqual(readdirSync(dir), []);
});

test('a healthy database that is only locked is not moved aside as corrupt', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'sessions.db');
  const first = SessionStore.open(file).store;
  const kept = first.addUserMessage('s', 'must not vanish');
  first.close();
  // Another connection holds the file exclusively (a sqlite3 shell, a backup tool, a slow old worker).
  const holder = new DatabaseSync(file);
  holder.exec("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE messages SET updated_at = updated_at; COMMIT;");
  let opened: ReturnType<typeof SessionStore.open> | null = null;
  try {
    try { opened = SessionStore.open(file); } catch { /* refusing to open is acceptable */ }
    assert.equal(opened?.movedAside ?? null, null, `moved aside: ${JSON.stringify(opened?.movedAside)}`);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.corrupt-')), []);
  } finally {
    opened?.store.close();
    holder.close();
  }
  const again = SessionStore.open(file);
  t.after(() => again.store.close());
  assert.equal(again.store.get(kept.id)?.text, 'must not vanish');
});
