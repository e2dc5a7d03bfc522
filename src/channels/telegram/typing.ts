// The typing indicator for chats waiting on the agent: shown only once a reply takes longer than
// TYPING_AFTER_MS, renewed a little before Telegram drops it, and never waited for: it is dropped
// when it would eat into what a send needs from the chat's budget (budget.ts).
import type { BotApi } from './bot-api.js';
import type { Budgets } from './budget.js';

/** Telegram shows "typing" for 5 s; renew a little before. */
const TYPING_EVERY_MS = 4_500;
/** Replies faster than this need no typing indicator (it would only spend budget). */
const TYPING_AFTER_MS = 1_000;

export class TypingIndicator {
  /** When each chat began waiting on the agent. */
  private readonly busySince = new Map<number, number>();
  private readonly typedAt = new Map<number, number>();

  constructor(private readonly budgets: Budgets) {}

  /** The chats waiting now (chat id -> thread id): forget the others, type in those waiting long enough. */
  update(api: BotApi, busyChats: ReadonlyMap<number, number | null>): void {
    const now = Date.now();
    for (const chatId of this.busySince.keys()) if (!busyChats.has(chatId)) this.busySince.delete(chatId);
    for (const [chatId, threadId] of busyChats) {
      const since = this.busySince.get(chatId) ?? now;
      this.busySince.set(chatId, since);
      if (now - since < TYPING_AFTER_MS || now - (this.typedAt.get(chatId) ?? 0) < TYPING_EVERY_MS) continue;
      if (this.budgets.reserve(chatId, 'typing') !== 0) continue; // typing is the first thing dropped
      this.typedAt.set(chatId, now);
      void api.call('sendChatAction', { chat_id: chatId, action: 'typing', ...(threadId === null ? {} : { message_thread_id: threadId }) });
    }
  }
}
