// A small client of the gateway's HTTP API, for `send` and for tests.
import { setTimeout as sleep } from 'node:timers/promises';

const REQUEST_TIMEOUT_MS = 10_000;
const REPLY_POLL_MS = 100;

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

export class ApiClient {
  constructor(private readonly baseUrl: string, private readonly token: string) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const data = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
    if (!response.ok) throw new ApiError(response.status, data.error?.code ?? 'http_error', data.error?.message ?? `HTTP ${response.status}`);
    return data as T;
  }

  async send(sessionId: string, text: string): Promise<string> {
    const { messageId } = await this.request<{ messageId: string }>('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/messages`, { text });
    return messageId;
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
