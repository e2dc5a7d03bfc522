// A stateful fake of an OpenAI-compatible server (Ollama, llama.cpp, OpenAI...), for what cannot run
// here: it serves POST /v1/chat/completions (streamed as server-sent events, or in one piece) and
// GET /v1/models, checks the bearer key and the model, has a context window, and records every
// request. Its answer is a function of the conversation it was sent, so a test can tell a complete
// reply from half of one. Faults are conditions of the server, as on a real one: overloaded (429
// with Retry-After), failing (5xx), stalling or dropping connections mid-answer, for the next N
// requests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: ChatBody | null;
}

export interface ChatBody {
  readonly model: string;
  readonly messages: ReadonlyArray<{ role: string; content: string }>;
  readonly stream?: boolean;
  readonly temperature?: number;
  readonly max_tokens?: number;
}

type Fault =
  | { readonly kind: 'overloaded'; readonly retryAfterS: number }
  | { readonly kind: 'failing'; readonly status: number }
  | { readonly kind: 'stall'; readonly afterTokens: number }
  | { readonly kind: 'cut'; readonly afterTokens: number };

/** The answer a model with this conversation gives: names the message and how much it remembers. */
export function answerFor(messages: ChatBody['messages']): string {
  const last = messages.at(-1)?.content ?? '';
  const earlier = messages.slice(0, -1).filter((m) => m.role !== 'system').length;
  const system = messages[0]?.role === 'system' ? ' with a system prompt' : '';
  return `You said "${last}". I see ${earlier} earlier messages${system}. That is all.`;
}

/** Words with their trailing space: the tokens a stream sends. */
export function tokensOf(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [];
}

export class FakeOpenAI {
  readonly requests: RecordedRequest[] = [];
  readonly models = new Set<string>(['llama3.2']);
  /** The key it expects (Authorization: Bearer ...); null: no key needed. */
  apiKey: string | null = null;
  /** The context window, in characters of all messages. */
  contextChars = Number.POSITIVE_INFINITY;
  /** Time between two streamed tokens. */
  tokenDelayMs = 2;
  /** Tokens streamed so far by the answers in progress and done (for tests that wait for "mid-answer"). */
  tokensSent = 0;
  /** Completed answers (every token and the finish marker written). */
  answered = 0;
  private readonly faults: Fault[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor() {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Listen on loopback; returns the base URL (ending in /v1). */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return this.baseUrl;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next `count` chat requests get 429 with Retry-After. */
  overload(count: number, retryAfterS: number): void { this.add(count, { kind: 'overloaded', retryAfterS }); }
  /** The next `count` chat requests get this 5xx. */
  fail(count: number, status = 503): void { this.add(count, { kind: 'failing', status }); }
  /** The next `count` answers stop after `afterTokens` tokens and keep the connection open, silent. */
  stall(count: number, afterTokens: number): void { this.add(count, { kind: 'stall', afterTokens }); }
  /** The next `count` answers break the connection after `afterTokens` tokens. */
  cut(count: number, afterTokens: number): void { this.add(count, { kind: 'cut', afterTokens }); }

  chatRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/v1/chat/completions');
  }

  private add(count: number, fault: Fault): void {
    for (let i = 0; i < count; i += 1) this.faults.push(fault);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readAll(req);
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    let body: ChatBody | null = null;
    try { body = raw === '' ? null : JSON.parse(raw) as ChatBody; } catch { body = null; }
    this.requests.push({ at: Date.now(), method: req.method ?? '', path, authorization: req.headers.authorization, body });
    if (this.apiKey !== null && req.headers.authorization !== `Bearer ${this.apiKey}`) {
      // Like a careless proxy, it quotes the key it was given: the gateway must never pass that on.
      const given = req.headers.authorization?.replace(/^Bearer /, '') ?? '(none)';
      return json(res, 401, { error: { message: `Incorrect API key provided: ${given}`, type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, { object: 'list', data: [...this.models].map((id) => ({ id, object: 'model', owned_by: 'fake' })) });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') return json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
    if (body === null || typeof body.model !== 'string' || !Array.isArray(body.messages)) return json(res, 400, { error: { message: 'invalid JSON body' } });
    if (!this.models.has(body.model)) return json(res, 404, { error: { message: `model "${body.model}" not found, try pulling it first`, type: 'not_found_error' } });
    const chars = body.messages.reduce((n, m) => n + m.content.length, 0);
    if (chars > this.contextChars) {
      return json(res, 400, { error: { message: `This model's maximum context length is ${this.contextChars} characters. However, your messages resulted in ${chars}.`, code: 'context_length_exceeded' } });
    }
    const fault = this.faults.shift();
    if (fault?.kind === 'overloaded') return json(res, 429, { error: { message: 'Rate limit reached' } }, { 'retry-after': String(fault.retryAfterS) });
    if (fault?.kind === 'failing') return json(res, fault.status, { error: { message: 'the model runner crashed' } });
    const answer = answerFor(body.messages);
    if (body.stream !== true) {
      this.answered += 1;
      return json(res, 200, { id: 'chatcmpl-fake', object: 'chat.completion', model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }] });
    }
    this.stream(res, body.model, tokensOf(answer), fault ?? null);
  }

  private stream(res: ServerResponse, model: string, tokens: readonly string[], fault: Fault | null): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
      `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.write(': the fake is thinking\n\n'); // a comment, as some servers send: not a token
    let index = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (fault?.kind === 'stall' && index === fault.afterTokens) return; // silent, connection open
      if (fault?.kind === 'cut' && index === fault.afterTokens) {
        res.socket?.destroy();
        return;
      }
      if (index === tokens.length) {
        res.write(chunk({}, 'stop'));
        res.end('data: [DONE]\n\n');
        this.answered += 1;
        return;
      }
      res.write(chunk(index === 0 ? { role: 'assistant', content: tokens[index] } : { content: tokens[index] }, null));
      index += 1;
      this.tokensSent += 1;
      this.later(next);
    };
    this.later(next);
  }

  private later(work: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      work();
    }, this.tokenDelayMs);
    this.timers.add(timer);
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
