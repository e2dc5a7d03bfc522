// Outbound pacing: one token bucket per chat (shared by sends, edits and typing), one per group
// (20 a minute) and one for the bot (30 a second), the limits Telegram documents. A send waits for
// a token; a typing indicator never waits and is dropped when it would eat into what a send needs,
// so typing is what goes first when a chat is busy (hm#107612: sends, edits and typing on separate
// budgets drew a 7,728 s ban). A 429 freezes the chat until its retry_after has passed.
import { systemClock, type Clock } from '../../runtime/backoff.js';
import type { TelegramLimits } from './config.js';
import { isGroupChat } from './types.js';

export type BudgetUse = 'send' | 'edit' | 'typing';

/** Typing is sent only when the chat keeps at least this many tokens for sends after it. */
const TYPING_RESERVE = 1;
/** A group may send this many at once; the per-minute pace is what is left of its limit. */
const GROUP_BURST = 3;
/** The bot may send this share of its per-second limit at once. */
const BOT_BURST_SHARE = 3;

class Bucket {
  private tokens: number;
  private at: number;

  constructor(private readonly capacity: number, private readonly perMs: number, now: number) {
    this.tokens = capacity;
    this.at = now;
  }

  level(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.at) * this.perMs);
    this.at = now;
    return this.tokens;
  }

  /** Milliseconds until `need` tokens are there (0: now). */
  waitFor(need: number, now: number): number {
    const short = need - this.level(now);
    return short <= 0 ? 0 : Math.ceil(short / this.perMs);
  }

  take(now: number): void {
    this.level(now);
    this.tokens -= 1;
  }
}

export class Budgets {
  private readonly chats = new Map<number, Bucket>();
  private readonly groups = new Map<number, Bucket>();
  private readonly bot: Bucket;
  private readonly frozenUntil = new Map<number, number>();

  constructor(private readonly limits: TelegramLimits, private readonly clock: Clock = systemClock) {
    // A bucket of capacity B refilled at r allows B + r*T in a window T: the refill is what is left
    // of the limit after the burst, so no 1 s window holds more than perBotPerS sends.
    const burst = Math.max(1, Math.floor(limits.perBotPerS / BOT_BURST_SHARE));
    this.bot = new Bucket(burst, Math.max(1, limits.perBotPerS - burst) / 1000, clock.now());
  }

  /**
   * Take a token for `use` in chat: returns 0 when taken, else the milliseconds to wait before
   * asking again; for typing, 'drop' instead of a wait.
   */
  reserve(chatId: number, use: BudgetUse): number | 'drop' {
    const now = this.clock.now();
    const frozen = (this.frozenUntil.get(chatId) ?? 0) - now;
    if (frozen > 0) return use === 'typing' ? 'drop' : frozen;
    const buckets = this.bucketsOf(chatId, now);
    const need = (b: Bucket): number => (use === 'typing' && b === buckets[0] ? 1 + TYPING_RESERVE : 1);
    const wait = Math.max(...buckets.map((b) => b.waitFor(need(b), now)));
    if (wait > 0) return use === 'typing' ? 'drop' : wait;
    for (const b of buckets) b.take(now);
    return 0;
  }

  /** Telegram said 429 with retry_after: nothing goes to this chat before then. */
  freeze(chatId: number, ms: number): void {
    this.frozenUntil.set(chatId, Math.max(this.frozenUntil.get(chatId) ?? 0, this.clock.now() + ms));
  }

  private bucketsOf(chatId: number, now: number): Bucket[] {
    let chat = this.chats.get(chatId);
    if (chat === undefined) {
      chat = new Bucket(this.limits.chatBurst, this.limits.perChatPerS / 1000, now);
      this.chats.set(chatId, chat);
    }
    if (!isGroupChat(chatId)) return [chat, this.bot];
    let group = this.groups.get(chatId);
    if (group === undefined) {
      const burst = Math.max(1, Math.min(this.limits.chatBurst, GROUP_BURST, this.limits.perGroupPerMin - 1));
      group = new Bucket(burst, Math.max(1, this.limits.perGroupPerMin - burst) / 60_000, now);
      this.groups.set(chatId, group);
    }
    return [chat, group, this.bot];
  }
}
