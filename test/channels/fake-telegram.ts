// A stateful fake of the Telegram Bot API, for tests and the benchmark. It behaves like the real
// one where delivery depends on it: an update is handed out again and again until a later
// getUpdates confirms it with a higher offset; getUpdates long-polls (waits up to `timeout` s for
// an update); a second poller on the token ends the first one's request with 409; a wrong token
// gets 401; sendMessage refuses unknown chats (400), blocked ones (403), empty or over-4096 texts
// (400), and answers 429 with retry_after past the rate limits; message ids run per chat, shared by
// the users' messages and the bot's. Faults are injected per method: a status, a connection cut
// before or after the request was acted on, or a request held until released. Every sendMessage
// it accepted is recorded.
// Update ids start over as Telegram's do after a week without updates (restartSequence, or the
// idleRestartMs option), and an offset then is read the way the Bot API server (tdlib's TQueue)
// reads it: one more than 10 past the queue's next id is "in the future", so it confirms nothing and
// the answer starts at the head of the queue (an old offset loops on the new sequence's first
// update, go-telegram-bot-api#156); one past the last update handed out confirms it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeUpdate {
  update_id: number;
  message: {
    message_id: number; date: number; text?: string; message_thread_id?: number; is_topic_message?: boolean;
    chat: { id: number; type: string }; from: { id: number; is_bot: boolean; first_name: string; username?: string };
  };
}

export interface SentMessage {
  readonly chatId: number;
  readonly threadId: number | null;
  readonly text: string;
  readonly messageId: number;
  readonly replyTo: number | null;
  readonly at: number;
}

export type Fault =
  | { readonly kind: 'status'; readonly status: number; readonly description: string; readonly retryAfter?: number }
  /** Read the whole request, then cut the connection without acting on it. */
  | { readonly kind: 'drop-before' }
  /** Act on the request (a sendMessage is delivered and recorded), then cut the connection unanswered. */
  | { readonly kind: 'drop-after' }
  /** Keep the request unanswered until release() (or the connection closes); then act on it. */
  | { readonly kind: 'hold' };

interface PendingPoll {
  readonly res: ServerResponse;
  readonly limit: number;
  readonly timer: NodeJS.Timeout;
}

interface FaultRule { readonly method: string; fault: Fault; times: number; readonly match?: (params: Record<string, unknown>) => boolean }

/** A fault that hits a share of a method's calls at random (the benchmark's injected faults). */
export interface Chaos { readonly method: string; readonly fault: Fault; readonly probability: number }

export interface FakeOptions {
  readonly token: string;
  readonly username?: string;
  /** Enforce Telegram's rate limits with 429s (default true). */
  readonly enforceLimits?: boolean;
  /**
   * The first update after this long without one (nothing left unconfirmed) starts a new sequence
   * at a random id, as Telegram does after a week. Unset: ids stay sequential.
   */
  readonly idleRestartMs?: number;
  /** The clock idleRestartMs is measured on (default Date.now). */
  readonly now?: () => number;
}

/** tdlib's TQueue refuses an offset more than this past its next id ("Specified from_id is in the future"). */
const FUTURE_SLACK = 10;
/** tdlib's EventId::create_random: a random id below MAX_ID / 2 (MAX_ID 2e9), plus 10 + MAX_QUEUE_EVENTS (1e6). */
const RANDOM_ID_SPAN = 1_000_000_000;
const RANDOM_ID_BASE = 1_000_010;

const CHAT_WINDOW_MS = 1_000;
const CHAT_MAX_PER_WINDOW = 5;
/** Telegram: "not more than 30 messages per second or so"; the fake refuses past 30 in any second. */
const BOT_MAX_PER_S = 30;
const GROUP_WINDOW_MS = 60_000;
const GROUP_MAX_PER_WINDOW = 20;

export class FakeTelegram {
  readonly token: string;
  readonly username: string;
  readonly botId: number;
  private server: Server | null = null;
  url = '';
  private nextUpdateId = 5_000;
  /** The first id of each sequence, the current one last. */
  readonly sequenceStarts: number[] = [5_000];
  /** getUpdates calls whose offset was past the queue (confirming nothing). */
  futureOffsets = 0;
  private lastUpdateAt: number | null = null;
  private readonly idleRestartMs: number | undefined;
  private readonly now: () => number;
  private pending: FakeUpdate[] = [];
  /** Every update users sent, by id (for replay). */
  private readonly history = new Map<number, FakeUpdate>();
  private replays: FakeUpdate[] = [];
  /** How many replayed updates were handed out, and offsets.length then (a later getUpdates: the client processed that batch). */
  replaysHandedOut = 0;
  replayedAtPoll = 0;
  private poll: PendingPoll | null = null;
  private readonly messageIds = new Map<number, number>();
  private readonly sendTimes = new Map<number, number[]>();
  private botSendTimes: number[] = [];
  private readonly faults: FaultRule[] = [];
  private readonly held: Array<() => void> = [];
  readonly sent: SentMessage[] = [];
  readonly blocked = new Set<number>();
  readonly knownChats = new Set<number>();
  readonly calls = new Map<string, number>();
  /** Offsets of every getUpdates, in order. */
  readonly offsets: number[] = [];
  chatActions = 0;
  /** While set, every getUpdates is answered 409 (another poller somewhere holds the token). */
  foreignPoller = false;
  private readonly enforceLimits: boolean;
  private heldWaiters: Array<() => void> = [];
  private chaos: Chaos[] = [];
  private seed = 42;

  constructor(options: FakeOptions) {
    this.token = options.token;
    this.botId = Number(options.token.split(':')[0]);
    this.username = options.username ?? 'fake_bot';
    this.enforceLimits = options.enforceLimits ?? true;
    this.idleRestartMs = options.idleRestartMs;
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    if (this.poll !== null) { clearTimeout(this.poll.timer); this.poll.res.destroy(); this.poll = null; }
    for (const release of this.held.splice(0)) release();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server === null ? resolve() : this.server.close(() => resolve())));
  }

  /** A user writes to the bot. Returns the update id. */
  userSays(chatId: number, text: string | undefined, options: { fromId?: number; date?: number; threadId?: number; chatType?: string } = {}): number {
    this.knownChats.add(chatId);
    this.restartIfIdle();
    const update: FakeUpdate = {
      update_id: this.nextUpdateId++,
      message: {
        message_id: this.nextMessageId(chatId), date: options.date ?? Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: options.chatType ?? (chatId < 0 ? 'supergroup' : 'private') },
        from: { id: options.fromId ?? Math.abs(chatId), is_bot: false, first_name: 'Tester' },
        ...(text === undefined ? {} : { text }),
        ...(options.threadId === undefined ? {} : { message_thread_id: options.threadId, is_topic_message: true }),
      },
    };
    this.pending.push(update);
    this.history.set(update.update_id, update);
    this.answerPoll();
    return update.update_id;
  }

  /**
   * Telegram's update ids start over: "If there are no new updates for at least a week, then
   * identifier of the next update will be chosen randomly instead of sequentially"
   * (https://core.telegram.org/bots/api#getupdates). The next update gets firstId (default: a
   * random id, drawn as tdlib draws it) and the ids count up from there. Telegram does it only to an
   * empty queue, so an update still unconfirmed is refused. Returns firstId.
   */
  restartSequence(firstId: number = RANDOM_ID_BASE + Math.floor(this.random() * RANDOM_ID_SPAN)): number {
    if (this.pending.length > 0) throw new Error(`Telegram starts its ids over only after a week without updates, and ${this.pending.length} are unconfirmed`);
    this.nextUpdateId = firstId;
    this.sequenceStarts.push(firstId);
    return firstId;
  }

  private restartIfIdle(): void {
    const now = this.now();
    const idle = this.idleRestartMs !== undefined && this.lastUpdateAt !== null && now - this.lastUpdateAt >= this.idleRestartMs;
    if (idle && this.pending.length === 0) this.restartSequence();
    this.lastUpdateAt = now;
  }

  /**
   * Hand out an update once more at the next getUpdates, although an offset confirmed it long ago.
   * Telegram does not do this; the test that exactly-once outlives the ledger's retention does.
   */
  replay(updateId: number): void {
    const update = this.history.get(updateId);
    if (update === undefined) throw new Error(`no update ${updateId} was ever sent`);
    this.replays.push(update);
    this.answerPoll();
  }

  /** What a getUpdates hands out: replays (once), then the unconfirmed updates (until confirmed). */
  private handOut(limit: number): FakeUpdate[] {
    const replays = this.replays.splice(0);
    this.replaysHandedOut += replays.length;
    if (replays.length > 0) this.replayedAtPoll = this.offsets.length;
    return [...replays, ...this.pending].slice(0, Math.max(limit, replays.length));
  }

  private get hasUpdates(): boolean {
    return this.pending.length > 0 || this.replays.length > 0;
  }

  /** Updates handed out but not yet confirmed by a later offset, plus those never handed out. */
  get unconfirmed(): number {
    return this.pending.length;
  }

  inject(method: string, fault: Fault, times = 1, match?: (params: Record<string, unknown>) => boolean): void {
    this.faults.push({ method, fault, times, ...(match === undefined ? {} : { match }) });
  }

  /** Telegram works again: the injected faults still waiting (for one method, or all) are dropped. */
  clearFaults(method?: string): void {
    for (const rule of this.faults) if (method === undefined || rule.method === method) rule.times = 0;
  }

  /** From now on, each call of a method meets its fault with the given probability (a seeded, repeatable draw). */
  setChaos(chaos: readonly Chaos[]): void {
    this.chaos = [...chaos];
  }

  private random(): number {
    this.seed = (this.seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return this.seed / 2_147_483_648;
  }

  /** Resolves when a held request arrives. */
  whenHeld(): Promise<void> {
    return this.held.length > 0 ? Promise.resolve() : new Promise((resolve) => this.heldWaiters.push(resolve));
  }

  release(): void {
    for (const release of this.held.splice(0)) release();
  }

  sentTo(chatId: number): SentMessage[] {
    return this.sent.filter((m) => m.chatId === chatId);
  }

  count(method: string): number {
    return this.calls.get(method) ?? 0;
  }

  private nextMessageId(chatId: number): number {
    const id = (this.messageIds.get(chatId) ?? 0) + 1;
    this.messageIds.set(chatId, id);
    return id;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '');
    if (match === null) return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const [, token, method] = match as unknown as [string, string, string];
    this.calls.set(method, (this.calls.get(method) ?? 0) + 1);
    if (token !== this.token) return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    let params: Record<string, unknown> = {};
    try { params = body === '' ? {} : (JSON.parse(body) as Record<string, unknown>); } catch { return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid JSON' }); }
    const rule = this.faults.find((f) => f.method === method && f.times > 0 && (f.match === undefined || f.match(params)));
    if (rule !== undefined) rule.times -= 1;
    const fault = rule?.fault ?? this.chaos.find((c) => c.method === method && this.random() < c.probability)?.fault;
    if (fault !== undefined) {
      if (fault.kind === 'status') {
        return reply(res, fault.status, { ok: false, error_code: fault.status, description: fault.description, ...(fault.retryAfter === undefined ? {} : { parameters: { retry_after: fault.retryAfter } }) });
      }
      if (fault.kind === 'drop-before') { req.socket.destroy(); return; }
      if (fault.kind === 'drop-after') { this.act(method, params, null); req.socket.destroy(); return; }
      await new Promise<void>((resolve) => {
        this.held.push(resolve);
        req.socket.once('close', resolve);
        for (const waiter of this.heldWaiters.splice(0)) waiter();
      });
      if (req.socket.destroyed) return; // the client went away: never acted on
    }
    this.act(method, params, res);
  }

  /** Do what the method does; answer on res unless it is null (a dropped connection). */
  private act(method: string, params: Record<string, unknown>, res: ServerResponse | null): void {
    const answer = (status: number, value: unknown): void => { if (res !== null) reply(res, status, value); };
    switch (method) {
      case 'getMe':
        return answer(200, { ok: true, result: { id: this.botId, is_bot: true, first_name: 'Fake', username: this.username } });
      case 'getUpdates':
        if (res === null) return;
        return this.getUpdates(params, res);
      case 'sendChatAction':
        this.chatActions += 1;
        return answer(200, { ok: true, result: true });
      case 'sendMessage': {
        const refusal = this.refuseSend(params);
        if (refusal !== null) return answer(refusal.status, refusal.body);
        const chatId = Number(params.chat_id);
        const messageId = this.nextMessageId(chatId);
        const replyTo = (params.reply_parameters as { message_id?: number } | undefined)?.message_id ?? null;
        this.sent.push({ chatId, threadId: typeof params.message_thread_id === 'number' ? params.message_thread_id : null, text: String(params.text), messageId, replyTo, at: Date.now() });
        return answer(200, { ok: true, result: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: chatId < 0 ? 'supergroup' : 'private' }, text: params.text } });
      }
      default:
        return answer(404, { ok: false, error_code: 404, description: 'Not Found: method not found' });
    }
  }

  private refuseSend(params: Record<string, unknown>): { status: number; body: unknown } | null {
    const chatId = Number(params.chat_id);
    const text = typeof params.text === 'string' ? params.text : '';
    const bad = (description: string, status = 400): { status: number; body: unknown } => ({ status, body: { ok: false, error_code: status, description } });
    if (!this.knownChats.has(chatId)) return bad('Bad Request: chat not found');
    if (this.blocked.has(chatId)) return bad('Forbidden: bot was blocked by the user', 403);
    if (text.trim() === '') return bad('Bad Request: message text is empty');
    if (text.length > 4096) return bad('Bad Request: message is too long');
    if (!this.enforceLimits) return null;
    const now = Date.now();
    const times = (this.sendTimes.get(chatId) ?? []).filter((t) => now - t < (chatId < 0 ? GROUP_WINDOW_MS : CHAT_WINDOW_MS));
    this.botSendTimes = this.botSendTimes.filter((t) => now - t < 1_000);
    const chatFull = chatId < 0 ? times.length >= GROUP_MAX_PER_WINDOW : times.length >= CHAT_MAX_PER_WINDOW;
    if (chatFull || this.botSendTimes.length >= BOT_MAX_PER_S) {
      const retryAfter = chatFull && chatId < 0 ? Math.ceil((GROUP_WINDOW_MS - (now - times[0]!)) / 1000) : 1;
      return { status: 429, body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } } };
    }
    this.sendTimes.set(chatId, [...times, now]);
    this.botSendTimes.push(now);
    return null;
  }

  private getUpdates(params: Record<string, unknown>, res: ServerResponse): void {
    if (this.foreignPoller) return reply(res, 409, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
    const offset = Number(params.offset ?? 0);
    this.offsets.push(offset);
    // Confirmation: everything below the offset is forgotten, as Telegram does; an offset past the
    // queue forgets nothing, and the answer starts at its head.
    const future = offset > this.nextUpdateId + FUTURE_SLACK;
    if (future) this.futureOffsets += 1;
    else if (offset > 0) this.pending = this.pending.filter((u) => u.update_id >= offset);
    if (this.poll !== null) {
      // A second poller: Telegram ends the earlier request with 409.
      clearTimeout(this.poll.timer);
      reply(this.poll.res, 409, { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' });
      this.poll = null;
    }
    const limit = Math.max(1, Math.min(100, Number(params.limit ?? 100)));
    if (this.hasUpdates) return reply(res, 200, { ok: true, result: this.handOut(limit) });
    const timeoutS = Number(params.timeout ?? 0);
    if (timeoutS <= 0) return reply(res, 200, { ok: true, result: [] });
    const timer = setTimeout(() => {
      if (this.poll?.res === res) this.poll = null;
      reply(res, 200, { ok: true, result: [] });
    }, timeoutS * 1000);
    this.poll = { res, limit, timer };
    res.on('close', () => { if (this.poll?.res === res) { clearTimeout(timer); this.poll = null; } });
  }

  private answerPoll(): void {
    const poll = this.poll;
    if (poll === null || !this.hasUpdates) return;
    clearTimeout(poll.timer);
    this.poll = null;
    reply(poll.res, 200, { ok: true, result: this.handOut(poll.limit) });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

function reply(res: ServerResponse, status: number, value: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
