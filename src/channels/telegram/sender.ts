// Delivers outbox parts: one chat at a time in order (a reply's parts, then the next reply's),
// different chats side by side, every send paced by the budgets. Each part is recorded `sending`
// before its request goes out and `sent` with Telegram's message id once confirmed, so nothing
// confirmed is ever sent again, and a part whose fate is unknown is never called delivered:
// - 429: the chat waits out retry_after, then the same part goes again (hm#46762);
// - 5xx, or a failure before the request was written: retried with backoff and jitter;
// - 400/403/404 (chat not found, bot blocked, too long): a dead letter with Telegram's reason;
// - written but unanswered, or left `sending` by a worker that died: sent once more and counted
//   as a possible duplicate; a second unknown outcome stops it as `unknown` (see README).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../runtime/json-log.js';
import type { BotApi } from './bot-api.js';
import type { Budgets } from './budget.js';
import { faultPoint } from './fault.js';
import { retryDelayMs } from './retry.js';
import type { OutboxPart, TelegramTables } from './tables.js';

/** A part that could not be delivered for this long (transient errors only) becomes a dead letter. */
export const DELIVERY_MAX_AGE_MS = 24 * 3600_000;
/** How often the sender looks for parts whose retry time has come. */
const PUMP_INTERVAL_MS = 250;
/** A send with no answer after this long has an unknown outcome. */
const SEND_TIMEOUT_MS = 15_000;
/** At stop, how long sends already on the wire may take to be answered (within the monitor's grace). */
const STOP_WAIT_MS = 3_000;

export interface SenderHooks {
  /** Telegram refused the token (401): the channel fails. */
  readonly unauthorized: (detail: string) => void;
  readonly error: (detail: string) => void;
  /** A part became a dead letter (a permanent refusal): for alerts. */
  readonly deadLetter?: (seq: number, chatId: number, detail: string) => void;
  /** A part was confirmed, this long after it entered the outbox: for the delivery latency metric. */
  readonly delivered?: (latencyMs: number) => void;
}

export class Sender {
  private readonly busy = new Map<number, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private pumping = false;

  constructor(
    private readonly api: BotApi,
    private readonly tables: TelegramTables,
    private readonly budgets: Budgets,
    private readonly log: Logger,
    private readonly hooks: SenderHooks,
  ) {}

  /** Begin: parts an earlier life left `sending` get the unknown-outcome policy first. */
  start(): void {
    for (const seq of this.tables.sendingLeftOver()) {
      const status = this.tables.outcomeUnknown(seq, 'the worker that was sending it ended before Telegram answered');
      this.log.warn({ seq, status }, 'outbox part left `sending` by an earlier worker: outcome unknown');
    }
    this.timer = setInterval(() => this.pump(), PUMP_INTERVAL_MS);
    this.timer.unref();
    this.pump();
  }

  /** New parts are there. */
  pump(): void {
    if (this.stopped || this.pumping) return;
    this.pumping = true;
    try {
      const now = Date.now();
      const chats = new Set<number>();
      for (const chatId of this.tables.chatsWithDueParts(now)) if (!this.busy.has(chatId)) chats.add(chatId);
      for (const chatId of chats) {
        const run = this.drainChat(chatId).finally(() => this.busy.delete(chatId));
        this.busy.set(chatId, run);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Keep delivering until nothing deliverable is left or the deadline passes. */
  async flush(deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      this.pump();
      if (this.tables.chatsWithDueParts(deadline).length === 0 && this.busy.size === 0) return;
      await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
    }
  }

  /** Start no new send; wait a little for the ones in flight (a part left `sending` is resolved at the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    await Promise.race([Promise.all(this.busy.values()), sleep(STOP_WAIT_MS)]);
  }

  /** Deliver this chat's parts in order until none is due. */
  private async drainChat(chatId: number): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const part = this.tables.nextPart(chatId);
      if (part === undefined || part.notBefore > Date.now()) return;
      const wait = this.budgets.reserve(chatId, 'send');
      if (wait !== 0) {
        await sleep(wait as number);
        continue;
      }
      await this.deliver(part);
    }
  }

  private async deliver(part: OutboxPart): Promise<void> {
    this.tables.markSending(part.seq);
    const params: Record<string, unknown> = { chat_id: part.chatId, text: part.text };
    if (part.threadId !== null) params.message_thread_id = part.threadId;
    if (part.replyToTg !== null) params.reply_parameters = { message_id: part.replyToTg, allow_sending_without_reply: true };
    const outcome = await this.api.call<{ message_id?: number }>('sendMessage', params, { timeoutMs: SEND_TIMEOUT_MS });
    const attempts = part.attempts + 1;
    switch (outcome.kind) {
      case 'ok':
        this.tables.markSent(part.seq, outcome.result?.message_id ?? null);
        this.hooks.delivered?.(Math.max(0, Date.now() - part.createdAt));
        if (part.part < part.parts) faultPoint('between-parts');
        return;
      case 'unknown': {
        const status = this.tables.outcomeUnknown(part.seq, outcome.detail);
        this.log.warn({ seq: part.seq, chatId: part.chatId, status }, `send outcome unknown: ${outcome.detail}`);
        this.hooks.error(outcome.detail);
        if (status === 'pending') this.later(part, outcome.detail, attempts);
        return;
      }
      case 'unsent':
        this.hooks.error(outcome.detail);
        this.retryOrExpire(part, outcome.detail, attempts);
        return;
      case 'refused':
        this.refused(part, outcome.status, outcome.description, outcome.retryAfterS, attempts);
    }
  }

  private refused(part: OutboxPart, status: number, description: string, retryAfterS: number | null, attempts: number): void {
    if (status === 429) {
      const ms = (retryAfterS ?? 1) * 1000;
      this.budgets.freeze(part.chatId, ms);
      this.tables.retryLater(part.seq, description, Date.now() + ms);
      this.log.warn({ chatId: part.chatId, retryAfterS }, 'Telegram asked to slow down (429): waiting retry_after');
      return;
    }
    if (status === 401) {
      this.tables.retryLater(part.seq, description, Date.now());
      this.hooks.unauthorized(description);
      return;
    }
    if (status >= 500 || status === 0) {
      this.hooks.error(description);
      this.retryOrExpire(part, description, attempts);
      return;
    }
    // 400 (chat not found, message too long, bad request), 403 (blocked, kicked), 404: permanent.
    this.tables.markDead(part.seq, description);
    this.hooks.error(description);
    this.hooks.deadLetter?.(part.seq, part.chatId, description);
    this.log.error({ seq: part.seq, chatId: part.chatId, part: `${part.part}/${part.parts}` }, `dead letter: ${description}`);
  }

  private retryOrExpire(part: OutboxPart, why: string, attempts: number): void {
    const created = this.tables.createdAt(part.seq);
    if (created !== null && Date.now() - created > DELIVERY_MAX_AGE_MS) {
      this.tables.markDead(part.seq, `gave up after ${attempts} attempts over ${Math.round(DELIVERY_MAX_AGE_MS / 3600_000)} h: ${why}`);
      return;
    }
    this.later(part, why, attempts);
  }

  private later(part: OutboxPart, why: string, attempts: number): void {
    this.tables.retryLater(part.seq, why, Date.now() + retryDelayMs(attempts));
  }
}
