// Why a model call failed, as one class with a stable code: retryable ones (the call has no side
// effects, so it is simply asked again) and permanent ones, whose message is shown to the user.
// Messages never carry the API key: the agent redacts it before anything leaves it.

export const MODEL_ERROR_CODES = {
  /** 401/403: the key is missing, wrong or not allowed. */
  UNAUTHORIZED: 'unauthorized',
  /** 404 naming the model: the server has no such model. */
  MODEL_NOT_FOUND: 'model_not_found',
  /** 404 otherwise: no chat-completions endpoint at baseUrl. */
  NO_ENDPOINT: 'no_endpoint',
  /** 400 about the context window: the conversation is too long for the model. */
  CONTEXT_TOO_LONG: 'context_too_long',
  /** Any other 4xx: the server refused the request as it is. */
  REJECTED: 'rejected',
  /** The answer finished empty. */
  EMPTY_ANSWER: 'empty_answer',
  /** 408/409/425/429: try again later. */
  RATE_LIMITED: 'rate_limited',
  /** 5xx, or an error event inside the stream. */
  SERVER_ERROR: 'server_error',
  /** Refused, reset or unreachable before an answer began. */
  CONNECTION: 'connection',
  /** No token for stallTimeoutMs (or none at all for firstTokenTimeoutMs). */
  STALLED: 'stalled',
  /** The stream ended before the answer was complete. */
  CUT: 'cut',
  /** The server answered something that is not the chat-completions protocol. */
  PROTOCOL: 'protocol',
} as const;

export type ModelErrorCode = (typeof MODEL_ERROR_CODES)[keyof typeof MODEL_ERROR_CODES];

const RETRYABLE: ReadonlySet<ModelErrorCode> = new Set([
  MODEL_ERROR_CODES.RATE_LIMITED, MODEL_ERROR_CODES.SERVER_ERROR, MODEL_ERROR_CODES.CONNECTION,
  MODEL_ERROR_CODES.STALLED, MODEL_ERROR_CODES.CUT,
]);

const kModelCallError = Symbol.for('gatehouse.model-call-error');

export class ModelCallError extends Error {
  readonly retryable: boolean;

  constructor(readonly code: ModelErrorCode, message: string, readonly retryAfterMs: number | null = null) {
    super(message);
    this.name = 'ModelCallError';
    this.retryable = RETRYABLE.has(code);
    Object.defineProperty(this, kModelCallError, { value: true });
  }

  static override [Symbol.hasInstance](instance: unknown): boolean {
    return typeof instance === 'object' && instance !== null && (instance as Record<symbol, unknown>)[kModelCallError] === true;
  }
}

/** The server's own words, from an OpenAI-style `{"error": {"message"}}` body (or the raw text), kept short. */
export function serverMessage(body: string): string {
  let text = body.trim();
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const candidate = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message ?? parsed.message ?? parsed.detail;
    if (typeof candidate === 'string') text = candidate;
  } catch {
    // not JSON (a proxy's HTML page, plain text): the raw text it is
  }
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > MAX_SERVER_MESSAGE_CHARS ? `${oneLine.slice(0, MAX_SERVER_MESSAGE_CHARS)}...` : oneLine;
}

const MAX_SERVER_MESSAGE_CHARS = 300;
const CONTEXT_WORDS = /context|too long|maximum.*(length|tokens)|token limit|exceeds/i;

export interface CallTarget {
  readonly url: string;
  readonly model: string;
  readonly keySource: string | null;
}

/** Turn a non-2xx answer into the error the user sees. */
export function httpError(status: number, body: string, retryAfter: number | null, target: CallTarget): ModelCallError {
  const said = serverMessage(body);
  const server = said === '' ? '' : `: ${said}`;
  if (status === 401 || status === 403) {
    const key = target.keySource === null ? 'no API key is configured (set agent.apiKeyFile or OPENAI_API_KEY)' : `check the key in ${target.keySource}`;
    return new ModelCallError(MODEL_ERROR_CODES.UNAUTHORIZED, `the model server refused the API key (${status})${server}; ${key}`);
  }
  if (status === 404) {
    if (/model/i.test(said)) {
      return new ModelCallError(MODEL_ERROR_CODES.MODEL_NOT_FOUND, `the model server has no model "${target.model}" (404)${server}; check agent.model (for Ollama: ollama pull ${target.model})`);
    }
    return new ModelCallError(MODEL_ERROR_CODES.NO_ENDPOINT, `no chat-completions endpoint at ${target.url} (404)${server}; check agent.baseUrl (it usually ends in /v1)`);
  }
  if (status === 400 && CONTEXT_WORDS.test(said)) {
    return new ModelCallError(MODEL_ERROR_CODES.CONTEXT_TOO_LONG, `the conversation is too long for the model (400)${server}; send /new to start a fresh one, or lower agent.history.maxChars`);
  }
  if (status === 408 || status === 409 || status === 425 || status === 429) {
    return new ModelCallError(MODEL_ERROR_CODES.RATE_LIMITED, `the model server is busy (${status})${server}`, retryAfter);
  }
  if (status >= 500) return new ModelCallError(MODEL_ERROR_CODES.SERVER_ERROR, `the model server failed (${status})${server}`, retryAfter);
  return new ModelCallError(MODEL_ERROR_CODES.REJECTED, `the model server rejected the request (${status})${server}`);
}
