// The session store's messages on disk: the SQL of its tables (messages, and the /new context
// starts), and how a row of messages reads as a StoredMessage. Kept apart from store.ts, which is
// what the gateway does with them (open, add, resume, complete, history).
export type UserMessageStatus = 'queued' | 'processing' | 'resume_pending' | 'done' | 'failed';
export type MessageRole = 'user' | 'assistant';

export interface StoredMessage {
  readonly id: string;
  readonly sessionId: string;
  readonly role: MessageRole;
  readonly text: string;
  readonly status: string;
  readonly replyTo: string | null;
  /**
   * How many times processing of this message started (column resume_attempts). While the message
   * is open, every one of them was cut (a drain deadline, a killed worker); a queued message that
   * only waited through a restart has none.
   */
  readonly resumeAttempts: number;
  readonly error: string | null;
  readonly createdAt: number;
}

export const MESSAGES_SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  session_id TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
  text TEXT NOT NULL,
  status TEXT NOT NULL,
  reply_to TEXT,
  resume_attempts INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_session ON messages (session_id, seq);
CREATE INDEX IF NOT EXISTS messages_open ON messages (status) WHERE role = 'user';
CREATE UNIQUE INDEX IF NOT EXISTS one_reply_per_message ON messages (reply_to) WHERE reply_to IS NOT NULL;
-- A /new: the session's context starts after message seq after_seq (the /new itself). History is
-- never deleted; the model is just not shown what came before the latest start.
CREATE TABLE IF NOT EXISTS context_starts (
  session_id TEXT NOT NULL,
  after_seq INTEGER NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS context_starts_by_session ON context_starts (session_id, after_seq);
`;

export interface Row {
  id: string; session_id: string; role: MessageRole; text: string; status: string;
  reply_to: string | null; resume_attempts: number; error: string | null; created_at: number;
}

export function toMessage(row: Row): StoredMessage {
  return {
    id: row.id, sessionId: row.session_id, role: row.role, text: row.text, status: row.status,
    replyTo: row.reply_to, resumeAttempts: row.resume_attempts, error: row.error, createdAt: row.created_at,
  };
}
