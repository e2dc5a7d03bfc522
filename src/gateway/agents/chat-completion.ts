// One call to `<baseUrl>/chat/completions`: streamed (server-sent events) by default, so that a model
// that stops producing tokens is noticed within stallTimeoutMs instead of a long total timeout, and
// so progress can be shown as "typing". Only a complete answer is returned: a stream that stalls,
// breaks or ends without its finish marker is an error (retryable), never a shorter reply.
import type { IncomingMessage } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { MODEL_ERROR_CODES, ModelCallError, httpError, serverMessage, type CallTarget } from './model-errors.js';
import { cutError, openRequest, readBody } from './model-server.js';
import { retryAfterMs } from './retry.js';

/** A non-streamed completion is read up to this size. */
const MAX_COMPLETION_BYTES = 16 * 1024 * 1024;

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface ChatCall {
  readonly url: string;
  readonly apiKey: string | null;
  readonly keySource: string | null;
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly stream: boolean;
  readonly temperature: number | undefined;
  readonly maxTokens: number | undefined;
  /** From sending the request to the first token (loading the model, reading a long prompt). */
  readonly firstTokenTimeoutMs: number;
  /** Between two tokens once the answer began. */
  readonly stallTimeoutMs: number;
  readonly signal: AbortSignal;
  readonly onToken: () => void;
}

export interface ChatAnswer {
  readonly text: string;
  /** `stop`, `length` (cut by maxTokens), ...; null when the server did not say. */
  readonly finishReason: string | null;
}

interface Delta {
  readonly content?: unknown;
  readonly reasoning_content?: unknown;
  readonly reasoning?: unknown;
}

interface ChunkChoice {
  readonly delta?: Delta;
  readonly message?: { readonly content?: unknown };
  readonly finish_reason?: unknown;
}

interface Chunk {
  readonly choices?: readonly ChunkChoice[];
  readonly error?: unknown;
}

export async function chatCompletion(call: ChatCall): Promise<ChatAnswer> {
  const target: CallTarget = { url: call.url, model: call.model, keySource: call.keySource };
  const body = {
    model: call.model,
    messages: call.messages,
    stream: call.stream,
    ...(call.temperature === undefined ? {} : { temperature: call.temperature }),
    ...(call.maxTokens === undefined ? {} : { max_tokens: call.maxTokens }),
  };
  const { response, cancel } = openRequest({
    method: 'POST', url: call.url, apiKey: call.apiKey, body, signal: call.signal,
    accept: call.stream ? 'text/event-stream' : 'application/json',
  });
  // One timer for the whole call: first token, then the gap between tokens. It breaks whatever is
  // open (the request, or the answer once it came), so the error it carries is the one reported.
  let open: { destroy(error: Error): void } = { destroy: cancel };
  const watchdog = new Watchdog((ms) => open.destroy(new ModelCallError(MODEL_ERROR_CODES.STALLED, `the model produced no token for ${Math.round(ms / 1000)} s`)));
  watchdog.arm(call.firstTokenTimeoutMs);
  try {
    const res = await response;
    open = res;
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw httpError(status, await readBody(res), retryAfterMs(res.headers), target);
    const type = String(res.headers['content-type'] ?? '');
    // A server may answer a streamed request in one piece; either form is read.
    if (type.includes('text/event-stream')) return await readStream(res, watchdog, call);
    return completionFromJson(await readBody(res, MAX_COMPLETION_BYTES), call);
  } finally {
    watchdog.disarm();
  }
}

function readStream(res: IncomingMessage, watchdog: Watchdog, call: ChatCall): Promise<ChatAnswer> {
  return new Promise((resolve, reject) => {
    let text = '';
    let finishReason: string | null = null;
    let done = false;
    const fail = (error: Error): void => {
      done = true;
      res.destroy();
      reject(error);
    };
    res.on('error', (error) => { if (!done) fail(cutError(error)); });
    const finish = (): void => {
      if (done) return;
      done = true;
      res.destroy(); // [DONE] is the end, whatever the server keeps open
      if (text === '') reject(emptyAnswer(finishReason));
      else resolve({ text, finishReason });
    };
    const onEvent = (event: EventSourceMessage): void => {
      if (done) return;
      if (event.data.trim() === '[DONE]') return finish();
      const chunk = parseChunk(event.data);
      if (chunk === null) return fail(new ModelCallError(MODEL_ERROR_CODES.PROTOCOL, `the model server sent an event that is not JSON: ${event.data.slice(0, 100)}`));
      if (chunk.error !== undefined) return fail(new ModelCallError(MODEL_ERROR_CODES.SERVER_ERROR, `the model server failed mid-answer: ${serverMessage(JSON.stringify({ error: chunk.error }))}`));
      const choice = chunk.choices?.[0];
      const delta = choice?.delta ?? {};
      const progressed = typeof delta.content === 'string' || typeof delta.reasoning_content === 'string' || typeof delta.reasoning === 'string';
      if (typeof delta.content === 'string') text += delta.content;
      if (progressed) {
        watchdog.arm(call.stallTimeoutMs);
        call.onToken();
      }
      if (typeof choice?.finish_reason === 'string') finishReason = choice.finish_reason;
    };
    const parser = createParser({ onEvent });
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => parser.feed(chunk));
    res.once('end', () => {
      // Some servers end the stream after the finish reason without [DONE]: complete too.
      if (finishReason !== null) finish();
      else if (!done) fail(new ModelCallError(MODEL_ERROR_CODES.CUT, 'the answer stream ended before the answer was complete'));
    });
    res.once('close', () => { if (!done) fail(cutError(null)); });
  });
}

function parseChunk(data: string): Chunk | null {
  try {
    const value = JSON.parse(data) as unknown;
    return typeof value === 'object' && value !== null ? value as Chunk : null;
  } catch {
    return null;
  }
}

function completionFromJson(raw: string, call: ChatCall): ChatAnswer {
  const chunk = parseChunk(raw);
  const choice = chunk?.choices?.[0];
  const content = choice?.message?.content;
  if (typeof content !== 'string') throw new ModelCallError(MODEL_ERROR_CODES.PROTOCOL, `the model server's answer has no choices[0].message.content: ${raw.slice(0, 100)}`);
  const finishReason = typeof choice?.finish_reason === 'string' ? choice.finish_reason : null;
  if (content === '') throw emptyAnswer(finishReason);
  call.onToken();
  return { text: content, finishReason };
}

function emptyAnswer(finishReason: string | null): ModelCallError {
  const why = finishReason === 'length' ? ' (it ran out of tokens: raise agent.maxTokens)' : finishReason === null ? '' : ` (finish_reason ${finishReason})`;
  return new ModelCallError(MODEL_ERROR_CODES.EMPTY_ANSWER, `the model gave an empty answer${why}`);
}

/** A restartable timeout: fires `onExpire` with the armed duration unless re-armed or disarmed first. */
class Watchdog {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly onExpire: (ms: number) => void) {}

  arm(ms: number): void {
    this.disarm();
    this.timer = setTimeout(() => this.onExpire(ms), ms);
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
