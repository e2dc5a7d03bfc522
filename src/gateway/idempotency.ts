// Idempotency keys for POST /v1/sessions/{id}/messages: a client that retries a POST after a reset
// (its first try may have committed) sends the same Idempotency-Key, and gets the first message back
// instead of a second one. Keys live in their own table, written in the same transaction as the
// message they name, so a key exists exactly when its message does, across restarts of any kind.
import type { DatabaseSync } from 'node:sqlite';

const { createHash } = process.getBuiltinModule('node:crypto');

/** A key names its first message for this long (24 h); after that it may name a new one. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60_000;
/** Keys are 1-255 visible ASCII characters (a UUID fits; so does any client's own scheme). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export const IDEMPOTENCY_SCHEMA = `
CREATE TABLE IF NOT EXISTS idempotency_keys (
  session_id TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  message_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (session_id, key)
);
CREATE INDEX IF NOT EXISTS idempotency_keys_by_age ON idempotency_keys (created_at);
`;

/** What a key already names: the first message, or (a different text) a misuse of the key. */
export type KeyLookup =
  | { readonly kind: 'new' }
  | { readonly kind: 'same'; readonly messageId: string }
  | { readonly kind: 'different'; readonly messageId: string };

/** The request a key stands for: the message text (the session is part of the key's scope). */
export function requestHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The key table's statements; every call runs inside the store's write transaction. */
export class IdempotencyKeys {
  constructor(private readonly db: DatabaseSync, private readonly windowMs = IDEMPOTENCY_WINDOW_MS) {}

  /** Forget keys past the window (cheap: an index range), then say what this one names. */
  lookup(sessionId: string, key: string, text: string, now: number): KeyLookup {
    this.db.prepare('DELETE FROM idempotency_keys WHERE created_at < ?').run(now - this.windowMs);
    const row = this.db.prepare('SELECT request_hash, message_id FROM idempotency_keys WHERE session_id = ? AND key = ?').get(sessionId, key) as
      | { request_hash: string; message_id: string } | undefined;
    if (row === undefined) return { kind: 'new' };
    return row.request_hash === requestHash(text) ? { kind: 'same', messageId: row.message_id } : { kind: 'different', messageId: row.message_id };
  }

  record(sessionId: string, key: string, text: string, messageId: string, now: number): void {
    // OR REPLACE: a key whose message is gone (never deleted today) names the new one.
    this.db.prepare('INSERT OR REPLACE INTO idempotency_keys (session_id, key, request_hash, message_id, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(sessionId, key, requestHash(text), messageId, now);
  }
}
