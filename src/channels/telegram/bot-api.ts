// A small Bot API client on node:http(s): POST <apiRoot>/bot<token>/<method> with a JSON body.
// What it adds over a generic HTTP client is one distinction the outbox needs: a request that
// failed before it was fully written (Telegram cannot have acted on it) versus one that was
// written and then got no answer (Telegram may have acted on it). No error it returns carries the
// token: URLs are never put into messages, and every message is passed through redact().
import type { IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { errorMessage } from '../../errors.js';
import { redact } from './redact.js';

const { Agent: HttpAgent, request: httpRequest } = process.getBuiltinModule('node:http');

/** A request with no answer after this long counts as failed (getUpdates adds its long-poll time). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** Answers larger than this are cut off (getUpdates with 100 long messages is well below). */
const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export type ApiOutcome<T> =
  | { readonly kind: 'ok'; readonly result: T }
  /** Telegram answered, and said no (4xx/5xx with its error_code and description). */
  | { readonly kind: 'refused'; readonly status: number; readonly description: string; readonly retryAfterS: number | null }
  /** Failed before the whole request was written: it cannot have been acted on. */
  | { readonly kind: 'unsent'; readonly detail: string }
  /** Written, then no (complete) answer: it may or may not have been acted on. */
  | { readonly kind: 'unknown'; readonly detail: string };

export interface CallOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

interface TelegramReply {
  ok?: boolean;
  result?: unknown;
  description?: string;
  parameters?: { retry_after?: number };
}

export class BotApi {
  private readonly base: URL;
  private readonly agent: InstanceType<typeof HttpAgent>;
  private readonly send: typeof httpRequest;

  constructor(apiRoot: string, private readonly token: string) {
    this.base = new URL(apiRoot.endsWith('/') ? apiRoot : `${apiRoot}/`);
    const https = this.base.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.send = https ? (httpsRequest as unknown as typeof httpRequest) : httpRequest;
  }

  call<T>(method: string, params: Record<string, unknown>, options: CallOptions = {}): Promise<ApiOutcome<T>> {
    const body = Buffer.from(JSON.stringify(params));
    const url = new URL(`./bot${this.token}/${method}`, this.base);
    return new Promise((resolve) => {
      let written = false;
      let settled = false;
      const finish = (outcome: ApiOutcome<T>): void => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const broken = (why: string): void => finish(written ? { kind: 'unknown', detail: `${method}: ${why} after the request was sent` } : { kind: 'unsent', detail: `${method}: ${why}` });
      const req = this.send(url, {
        method: 'POST', agent: this.agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      }, (res) => {
        readReply(res).then(
          (text) => finish(interpret<T>(method, res.statusCode ?? 0, text, this.token)),
          (error: unknown) => {
            // Telegram answered 2xx and the body broke: it acted on the request, but we lack the result.
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) finish({ kind: 'ok', result: null as T });
            else broken(`the answer broke off (${redact(errorMessage(error), this.token)})`);
          },
        );
      });
      const onAbort = (): void => { req.destroy(new Error('aborted')); };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      req.setTimeout(options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, () => req.destroy(new Error('no answer in time')));
      req.on('finish', () => { written = true; });
      req.on('error', (error) => broken(redact(errorMessage(error), this.token)));
      if (options.signal?.aborted === true) req.destroy(new Error('aborted'));
      else req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function readReply(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) res.destroy(new Error('answer too large'));
      else chunks.push(chunk);
    });
    let ended = false;
    res.on('end', () => { ended = true; resolve(Buffer.concat(chunks).toString('utf8')); });
    res.on('error', reject);
    res.on('close', () => { if (!ended) reject(new Error('connection closed mid-answer')); });
  });
}

function interpret<T>(method: string, status: number, text: string, token: string): ApiOutcome<T> {
  let reply: TelegramReply;
  try {
    reply = JSON.parse(text) as TelegramReply;
  } catch {
    return { kind: 'refused', status, description: `${method}: HTTP ${status} with an answer that is not JSON`, retryAfterS: null };
  }
  if (reply.ok === true && status >= 200 && status < 300) return { kind: 'ok', result: reply.result as T };
  const retryAfter = reply.parameters?.retry_after;
  return {
    kind: 'refused', status,
    description: redact(`${method}: ${status} ${reply.description ?? 'no description'}`, token),
    retryAfterS: typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : null,
  };
}
