// Read-only questions the dashboard asks the session store: recent sessions, a session's latest
// messages, and per-bucket message counts and reply latencies for the charts. Plain SELECTs on the
// store's own connection (its `database`, which modules with tables of their own use too), so they
// see exactly what the gateway committed and take no lock a writer would wait on (WAL).
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';

/** Sessions listed, most recently active first. */
const SESSION_LIMIT = 50;
/** Messages shown per session, the latest. */
export const MESSAGE_LIMIT = 50;

export interface SessionSummary {
  readonly id: string;
  readonly messages: number;
  readonly open: number;
  readonly failed: number;
  readonly lastAt: string;
}

export interface DashboardMessage {
  readonly id: string;
  readonly role: string;
  readonly text: string;
  readonly status: string;
  readonly replyTo: string | null;
  readonly error: string | null;
  readonly at: string;
}

export interface Bucket {
  /** The bucket's start, ms since the epoch. */
  readonly start: number;
  readonly received: number;
  readonly failed: number;
  /** Replies stored in this bucket, and their latency (user message committed -> reply committed). */
  readonly replies: number;
  readonly latencyAvgMs: number | null;
  readonly latencyMaxMs: number | null;
}

const iso = (ms: SQLInputValue | undefined): string => new Date(Number(ms)).toISOString();

export function recentSessions(db: DatabaseSync): SessionSummary[] {
  const rows = db.prepare(`SELECT session_id, COUNT(*) AS n,
      SUM(CASE WHEN role = 'user' AND status IN ('queued', 'processing', 'resume_pending') THEN 1 ELSE 0 END) AS open,
      SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed, MAX(created_at) AS last
    FROM messages GROUP BY session_id ORDER BY last DESC LIMIT ?`).all(SESSION_LIMIT) as Array<Record<string, SQLInputValue>>;
  return rows.map((r) => ({ id: String(r.session_id), messages: Number(r.n), open: Number(r.open), failed: Number(r.failed), lastAt: iso(r.last) }));
}

/** The session's latest messages, oldest first. */
export function sessionMessages(db: DatabaseSync, sessionId: string, limit = MESSAGE_LIMIT): DashboardMessage[] {
  const rows = db.prepare(`SELECT id, role, text, status, reply_to, error, created_at FROM messages
    WHERE session_id = ? ORDER BY seq DESC LIMIT ?`).all(sessionId, limit) as Array<Record<string, SQLInputValue>>;
  return rows.reverse().map((r) => ({
    id: String(r.id), role: String(r.role), text: String(r.text), status: String(r.status),
    replyTo: r.reply_to === null ? null : String(r.reply_to), error: r.error === null ? null : String(r.error), at: iso(r.created_at),
  }));
}

/** Messages received, failed and answered per bucket of bucketMs, from `since` to now. */
export function messageBuckets(db: DatabaseSync, since: number, bucketMs: number, now = Date.now()): Bucket[] {
  const start = Math.floor(since / bucketMs) * bucketMs;
  const received = db.prepare(`SELECT CAST((created_at - ?) / ? AS INTEGER) AS b, COUNT(*) AS n, SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS failed
    FROM messages WHERE role = 'user' AND created_at >= ? GROUP BY b`).all(start, bucketMs, start) as Array<Record<string, SQLInputValue>>;
  const replies = db.prepare(`SELECT CAST((r.created_at - ?) / ? AS INTEGER) AS b, COUNT(*) AS n, AVG(r.created_at - u.created_at) AS avg, MAX(r.created_at - u.created_at) AS max
    FROM messages r JOIN messages u ON u.id = r.reply_to WHERE r.role = 'assistant' AND r.created_at >= ? GROUP BY b`).all(start, bucketMs, start) as Array<Record<string, SQLInputValue>>;
  const count = Math.max(1, Math.ceil((now - start) / bucketMs));
  const buckets = Array.from({ length: count }, (_, i) => ({ start: start + i * bucketMs, received: 0, failed: 0, replies: 0, latencyAvgMs: null as number | null, latencyMaxMs: null as number | null }));
  for (const r of received) {
    const bucket = buckets[Math.floor(Number(r.b))];
    if (bucket !== undefined) Object.assign(bucket, { received: Number(r.n), failed: Number(r.failed) });
  }
  for (const r of replies) {
    const bucket = buckets[Math.floor(Number(r.b))];
    if (bucket !== undefined) Object.assign(bucket, { replies: Number(r.n), latencyAvgMs: Math.round(Number(r.avg)), latencyMaxMs: Number(r.max) });
  }
  return buckets;
}
