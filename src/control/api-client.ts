// A small client of the gateway's HTTP API, for `send` and for tests.
import { request as httpRequest } from 'node:http';
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

  // node:http, not fetch: undici cannot connect under Wine (and a small client needs no more).
  private request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = httpRequest(`${this.baseUrl}${path}`, {
        method,
        timeout: REQUEST_TIMEOUT_MS,
        headers: {
          authorization: `Bearer ${this.token}`,
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
      req.on('timeout', () => req.destroy(new Error(`no answer from ${this.baseUrl} within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  async send(sessionId: string, text: string): Promise<string> {
    const { messageId } = await this.request<{ messageId: string }>('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/messages`, { text });
    return messageId;
  }

  /** Start a fresh context (like the chat command /new); returns the id of the /new message. */
  async newContext(sessionId: string): Promise<string> {
    const { messageId } = await this.request<{ messageId: string }>('POST', `/v1/sessions/${encodeURIComponent(sessionId)}/new`);
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
