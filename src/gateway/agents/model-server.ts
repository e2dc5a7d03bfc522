// Talking to an OpenAI-compatible server over node:http(s): one request, abortable, with the
// connection failure named the way a user can act on it ("Ollama not running at 127.0.0.1:11434").
// node:http rather than fetch: undici's fetch could not connect under Wine (see control/api-client.ts),
// and a socket of our own is what lets a stalled stream be cut at once.
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { MODEL_ERROR_CODES, ModelCallError } from './model-errors.js';

const { request: httpRequest } = process.getBuiltinModule('node:http');

/** Local servers by their default port, to say which one is not running. */
const KNOWN_SERVERS: ReadonlyArray<{ readonly port: string; readonly name: string; readonly start: string }> = [
  { port: '11434', name: 'Ollama', start: 'start it with `ollama serve`' },
  { port: '1234', name: 'LM Studio', start: "start LM Studio's local server" },
  { port: '8080', name: 'llama.cpp server', start: 'start it with `llama-server -m MODEL.gguf`' },
  { port: '8000', name: 'vLLM', start: 'start it with `vllm serve MODEL`' },
];

const USER_AGENT = 'gatehouse';
/** The most of an error answer's body that is read (its message is all we need). */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** host:port of a base URL, for messages (never with credentials: the config refuses those). */
export function serverAddress(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.hostname}:${url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port}`;
}

/** What to do when nothing answers at baseUrl. */
export function notRunningHint(baseUrl: string): string {
  const url = new URL(baseUrl);
  const known = KNOWN_SERVERS.find((s) => s.port === url.port);
  const address = serverAddress(baseUrl);
  return known === undefined ? `is the model server at ${address} running? check agent.baseUrl` : `${known.name} not running at ${address}? ${known.start}`;
}

export interface ModelRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly apiKey: string | null;
  readonly body?: unknown;
  readonly accept?: string;
  readonly signal: AbortSignal;
}

/** The request and its answer's head. The caller reads (or destroys) the body. */
export function openRequest(options: ModelRequest): { response: Promise<IncomingMessage>; cancel: (error: Error) => void } {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const send = options.url.startsWith('https:') ? httpsRequest : httpRequest;
  const req = send(options.url, {
    method: options.method,
    headers: {
      'user-agent': USER_AGENT,
      accept: options.accept ?? 'application/json',
      ...(options.apiKey === null ? {} : { authorization: `Bearer ${options.apiKey}` }),
      ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
    },
  });
  const cancel = (error: Error): void => { req.destroy(error); };
  const onAbort = (): void => cancel(options.signal.reason instanceof Error ? options.signal.reason : new Error('aborted'));
  options.signal.addEventListener('abort', onAbort, { once: true });
  req.once('close', () => options.signal.removeEventListener('abort', onAbort));
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.on('error', (error) => reject(connectionError(error, options.url, options.signal)));
  });
  if (options.signal.aborted) onAbort();
  req.end(payload);
  return { response, cancel };
}

function connectionError(error: Error, url: string, signal: AbortSignal): Error {
  if (signal.aborted || error instanceof ModelCallError) return error; // ours: a stall, a cut, the drain deadline
  const code = (error as NodeJS.ErrnoException).code ?? error.message;
  return new ModelCallError(MODEL_ERROR_CODES.CONNECTION, `cannot reach the model server at ${serverAddress(url)} (${code}); ${notRunningHint(url)}`);
}

/** Read a body to its end (error answers, non-streamed completions); a connection that breaks first is a cut. */
export function readBody(response: IncomingMessage, limitBytes = MAX_ERROR_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
    });
    response.once('end', () => {
      ended = true;
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    response.on('error', (error) => reject(cutError(error)));
    response.once('close', () => { if (!ended) reject(cutError(null)); });
  });
}

/** The connection broke while an answer was coming. Our own errors (a stall, the deadline) pass through. */
export function cutError(error: Error | null): Error {
  if (error instanceof ModelCallError) return error;
  if (error !== null && error.name === 'AbortError') return error;
  return new ModelCallError(MODEL_ERROR_CODES.CUT, 'the model server closed the connection before the answer was complete');
}
