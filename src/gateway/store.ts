// The session store: every message in SQLite (WAL). A user message is committed before the sender
// hears 202; its reply is committed in the same transaction that marks it done, and a unique index
// on reply_to makes "one reply per message" a property of the database, not of the code.
import { errorMessage } from '../errors.js';
import { createPrivateFile, makePrivate } from '../fs-util.js';
import { DatabaseSync } from 'node:sqlite';
import { IDEMPOTENCY_SCHEMA, IdempotencyKeys } from './idempotency.js';
import { MESSAGES_SCHEMA, toMessage, type MessageRole, type Row, type StoredMessage, type UserMessageStatus } from './store-rows.js';

export type { MessageRole, StoredMessage, UserMessageStatus } from './store-rows.js';

const { randomUUID } = process.getBuiltinModule('node:crypto');
const { existsSync, renameSync } = process.getBuiltinModule('node:fs');

const SQLITE_CORRUPT = 11;
const SQLITE_NOTADB = 26;

class IntegrityError extends Error {}

function isUnreadableDatabase(error: unknown): boolean {
  if (error instanceof IntegrityError) return true;
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === 'number' && ((code & 0xff) === SQLITE_CORRUPT || (code & 0xff) === SQLITE_NOTADB);
}

const OPEN_STATUSES = "('queued', 'processing', 'resume_pending')";
const BUSY_TIMEOUT_MS = 5_000;

/** What a POST with an Idempotency-Key did: stored a new message, or found the key's first one. */
export type AddOnceResult =
  | { readonly kind: 'added' | 'replayed'; readonly message: StoredMessage }
  /** The key already names a different text in this session: nothing stored. */
  | { readonly kind: 'key_reused'; readonly messageId: string };

export interface OpenResult {
  readonly store: SessionStore;
  /** Set when an unreadable database was moved aside (never deleted) and a new one created. */
  readonly movedAside: { readonly file: string; readonly reason: string } | null;
}

export class SessionStore {
  private readonly keys: IdempotencyKeys;

  private constructor(private readonly db: DatabaseSync) {
    this.keys = new IdempotencyKeys(db);
  }

  /** Open (or create) the store. A file that is not a healthy SQLite database is kept under a new name. */
  static open(file: string): OpenResult {
    try {
      return { store: new SessionStore(SessionStore.openChecked(file)), movedAside: null };
    } catch (error) {
      // Only a file SQLite calls corrupt or foreign is moved aside; a locked database, a full disk or
      // an I/O error is reported as it is, never mistaken for corruption.
      if (!existsSync(file) || !isUnreadableDatabase(error)) throw error;
      const aside = `${file}.corrupt-${Date.now()}`;
      renameSync(file, aside);
      for (const suffix of ['-wal', '-shm']) {
        try { renameSync(`${file}${suffix}`, `${aside}${suffix}`); } catch { /* the sidecar may not exist */ }
      }
      return { store: new SessionStore(SessionStore.openChecked(file)), movedAside: { file: aside, reason: errorMessage(error) } };
    }
  }

  private static openChecked(file: string): DatabaseSync {
    // Messages are private: SQLite creates -wal and -shm with the database file's mode, so the file
    // is created 0600 before SQLite opens it, and files from before (0644) are fixed.
    createPrivateFile(file);
    makePrivate([file, `${file}-wal`, `${file}-shm`]);
    const db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
    try {
      const check = db.prepare('PRAGMA quick_check').get() as { quick_check?: string } | undefined;
      if (check?.quick_check !== 'ok') throw new IntegrityError(`quick_check: ${check?.quick_check ?? 'no answer'}`);
      db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
      db.exec(MESSAGES_SCHEMA);
      db.exec(IDEMPOTENCY_SCHEMA);
      makePrivate([file, `${file}-wal`, `${file}-shm`]);
      return db;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /** The connection, for modules with tables of their own (src/channels/), so they share transactions. */
  get database(): DatabaseSync {
    return this.db;
  }

  /** Run work in one write transaction (BEGIN IMMEDIATE); not re-entrant. */
  inTransaction<T>(work: () => T): T {
    return this.transaction(work);
  }

  /** Commit a user message; only after this returns may the sender be told 202. */
  addUserMessage(sessionId: string, text: string): StoredMessage {
    const id = `msg_${randomUUID()}`;
    this.insertUserMessage(id, sessionId, text, Date.now());
    return this.get(id)!;
  }

  /**
   * Commit a user message under an idempotency key, or find the message the key already names: the
   * key and the message are written in one transaction, so a retried POST never stores a second one.
   */
  addUserMessageOnce(sessionId: string, text: string, key: string): AddOnceResult {
    return this.transaction((): AddOnceResult => {
      const now = Date.now();
      const known = this.keys.lookup(sessionId, key, text, now);
      if (known.kind === 'different') return { kind: 'key_reused', messageId: known.messageId };
      const first = known.kind === 'same' ? this.get(known.messageId) : null;
      if (first !== null) return { kind: 'replayed', message: first };
      const id = `msg_${randomUUID()}`;
      this.insertUserMessage(id, sessionId, text, now);
      this.keys.record(sessionId, key, text, id, now);
      return { kind: 'added', message: this.get(id)! };
    });
  }

  private insertUserMessage(id: string, sessionId: string, text: string, now: number): void {
    this.db
      .prepare("INSERT INTO messages (id, session_id, role, text, status, created_at, updated_at) VALUES (?, ?, 'user', ?, 'queued', ?, ?)")
      .run(id, sessionId, text, now, now);
  }

  get(id: string): StoredMessage | null {
    const row = this.db.prepare('SELECT * FROM messages WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? null : toMessage(row);
  }

  session(sessionId: string): StoredMessage[] {
    return (this.db.prepare('SELECT * FROM messages WHERE session_id = ? ORDER BY seq').all(sessionId) as unknown as Row[]).map(toMessage);
  }

  /** User messages accepted but not answered, oldest first: the work a new boot must resume. */
  openMessages(): StoredMessage[] {
    return (this.db.prepare(`SELECT * FROM messages WHERE role = 'user' AND status IN ${OPEN_STATUSES} ORDER BY seq`).all() as unknown as Row[]).map(toMessage);
  }

  /** How many user messages are in each status (for /metrics). */
  countByStatus(): Record<string, number> {
    const rows = this.db.prepare("SELECT status, COUNT(*) AS n FROM messages WHERE role = 'user' GROUP BY status").all() as Array<{ status: string; n: number }>;
    return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
  }

  setStatus(id: string, status: UserMessageStatus): void {
    this.db.prepare(`UPDATE messages SET status = ?, updated_at = ? WHERE id = ? AND status IN ${OPEN_STATUSES}`).run(status, Date.now(), id);
  }

  /** Mark open messages resume_pending (a drain that ran out of time, or a boot that recovers them). */
  markResumePending(ids: readonly string[]): number {
    if (ids.length === 0) return 0; // no write at all: a read-only database still boots
    let changed = 0;
    const update = this.db.prepare(`UPDATE messages SET status = 'resume_pending', updated_at = ? WHERE id = ? AND status IN ${OPEN_STATUSES}`);
    this.transaction(() => {
      for (const id of ids) changed += Number(update.run(Date.now(), id).changes);
    });
    return changed;
  }

  /**
   * Processing of an open message starts: mark it processing and count the attempt, in one
   * statement, so an attempt is counted exactly when it starts. Returns false for a closed message.
   */
  startAttempt(id: string): boolean {
    const started = this.db
      .prepare(`UPDATE messages SET status = 'processing', resume_attempts = resume_attempts + 1, updated_at = ? WHERE id = ? AND status IN ${OPEN_STATUSES}`)
      .run(Date.now(), id);
    return Number(started.changes) === 1;
  }

  /**
   * Store the reply and close the message, atomically. Returns false (and stores nothing) when the
   * message was already answered: a reply is delivered exactly once.
   */
  complete(id: string, replyText: string): boolean {
    return this.transaction(() => this.closeWithReply(id, replyText));
  }

  /** Inside a transaction: mark the message done and insert its reply; false when it was closed already. */
  private closeWithReply(id: string, replyText: string): boolean {
    const now = Date.now();
    const closed = this.db.prepare(`UPDATE messages SET status = 'done', updated_at = ? WHERE id = ? AND status IN ${OPEN_STATUSES}`).run(now, id);
    if (Number(closed.changes) !== 1) return false;
    const message = this.get(id)!;
    this.db
      .prepare("INSERT INTO messages (id, session_id, role, text, status, reply_to, created_at, updated_at) VALUES (?, ?, 'assistant', ?, 'done', ?, ?, ?)")
      .run(`msg_${randomUUID()}`, message.sessionId, replyText, id, now, now);
    return true;
  }

  /**
   * The turns before message `id` in its session's current context, oldest first: each answered
   * user message with its reply, at most the last maxTurns pairs. Failed and unanswered messages
   * are left out, and so is everything up to the latest context start before `id`.
   */
  history(id: string, maxTurns: number): Array<{ role: MessageRole; text: string }> {
    if (maxTurns <= 0) return [];
    const rows = this.db.prepare(`
      SELECT u.text AS question, a.text AS answer FROM messages m
      JOIN messages u ON u.session_id = m.session_id AND u.seq < m.seq AND u.role = 'user' AND u.status = 'done'
      JOIN messages a ON a.reply_to = u.id
      WHERE m.id = ? AND u.seq > COALESCE(
        (SELECT MAX(c.after_seq) FROM context_starts c WHERE c.session_id = m.session_id AND c.after_seq < m.seq), 0)
      ORDER BY u.seq DESC LIMIT ?`).all(id, maxTurns) as Array<{ question: string; answer: string }>;
    return rows.reverse().flatMap((r) => [{ role: 'user' as const, text: r.question }, { role: 'assistant' as const, text: r.answer }]);
  }

  /**
   * Close a `/new` message: record that the session's context starts after it, and store its
   * confirmation reply, atomically (false when it was already answered).
   */
  startContext(id: string, confirmation: string): boolean {
    return this.transaction(() => {
      const row = this.db.prepare('SELECT seq, session_id FROM messages WHERE id = ?').get(id) as { seq: number; session_id: string } | undefined;
      if (row === undefined || !this.closeWithReply(id, confirmation)) return false;
      this.db.prepare('INSERT INTO context_starts (session_id, after_seq, message_id, created_at) VALUES (?, ?, ?, ?)').run(row.session_id, row.seq, id, Date.now());
      return true;
    });
  }

  fail(id: string, error: string): void {
    this.db.prepare(`UPDATE messages SET status = 'failed', error = ?, updated_at = ? WHERE id = ? AND status IN ${OPEN_STATUSES}`).run(error, Date.now(), id);
  }

  private transaction<T>(work: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      // After SQLITE_FULL (and some I/O errors) SQLite has already rolled the transaction back: a
      // ROLLBACK then throws "no transaction is active" (SQL logic error), which would hide the
      // error that says what happened (store_full) and escape as a bug.
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }
}
