// A small client of the gateway's HTTP API, for `send` and for tests. A send carries an
// Idempotency-Key, fresh per call, and retries with that same key when it cannot know whether its
// POST committed (refused, reset, no answer, 503): the gateway stores the message once either way.
// node:http is taken at the first request: `send` over the control endpoint (send-message.ts) shares
// this module's retry policy and never makes one.
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelayMs, type Pacing } from '../runtime/backoff.js';

const { randomUUID } = process.getBuiltinModule('node:crypto');

const REQUEST_TIMEOUT_MS = 10_000;
const REPLY_POLL_MS = 100;
/** A send keeps retrying for this long (a restart or a respawn is over well within it), whatever carries it. */
export const SEND_RETRY_FOR_MS = 30_000;
/** A send's retries: 200 ms doubling up to 2 s. */
export const SEND_RETRY: Pacing = { baseMs: 200, maxMs: 2_000 };
/** Connection errors after which the POST may or may not have committed: retried with the same key. */
const RETRIABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

export interface ApiMessage {
  readonly id: string;
  readonly role: 'user' | 'assistant';
  readonly text: string;
  readonly status: string;
  readonly replyTo: string | null;
  readonly error?: string;
}

export interface ApiSession {
  readonly id: string;
  readonly resumePending: boolean;
  readonly messages: readonly ApiMessage[];
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

function retriable(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 503;
  return RETRIABLE_CODES.has((error as NodeJS.ErrnoException).code ?? '');
}

export class ApiClient {
  constructor(private readonly baseUrl: string, private readonly token: string) {}

  // node:http, not fetch: undici cannot connect under Wine (and a small client needs no more).
  private request<T>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = process.getBuiltinModule('node:http').request(`${this.baseUrl}${path}`, {
        method,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...extraHeaders,
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          let data: { error?: { code?: string; message?: string } } = {};
          try {
            data = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof data;
          } catch {
            // not JSON: reported by status below
          }
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) reject(new ApiError(status, data.error?.code ?? 'http_error', data.error?.message ?? `HTTP ${status}`));
          else resolve(data as T);
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer from ${this.baseUrl} within ${REQUEST_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Send a message once: every retry of this call carries the same key, so at most one is stored. */
  async send(sessionId: string, text: string, idempotencyKey: string = randomUUID()): Promise<string> {
    const path = `/v1/sessions/${encodeURIComponent(sessionId)}/messages`;
    const deadline = Date.now() + SEND_RETRY_FOR_MS;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const { messageId } = await this.request<{ messageId: string }>('POST', path, { text }, { 'idempotency-key': idempotencyKey });
        return messageId;
      } catch (error) {
        if (!retriable(error) || Date.now() >= deadline) throw error;
        await sleep(backoffDelayMs(attempt + 1, SEND_RETRY));
      }
    }
  }

  /** Start a fresh context (like the chat command /new); returns the id of the /new message. */
  async newContext(sessionId: string): Promise<string> {
    const { messageId } = await this.request<{ messageId: string }>('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/new`);
    return messageId;
  }

  /** A one-time login code for the dashboard (see src/gateway/dashboard/auth.ts). */
  dashboardCode(): Promise<{ code: string; expiresAt: string; path: string }> {
    return this.request('POST', '/v1/dashboard/login-codes');
  }

  session(sessionId: string): Promise<ApiSession> {
    return this.request<ApiSession>('GET', `/v1/sessions/${encodeURIComponent(sessionId)}`);
  }

  /** Wait for the reply to a message; null when time ran out. Throws when the message failed. */
  async waitForReply(sessionId: string, messageId: string, timeoutMs: number): Promise<ApiMessage | null> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const session = await this.session(sessionId);
      const reply = session.messages.find((m) => m.replyTo === messageId);
      if (reply !== undefined) return reply;
      const original = session.messages.find((m) => m.id === messageId);
      if (original?.status === 'failed') throw new ApiError(500, 'message_failed', original.error ?? 'the agent failed');
      await sleep(REPLY_POLL_MS);
    }
    return null;
  }
}
