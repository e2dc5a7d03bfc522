// The parts of the Bot API's objects this channel reads (https://core.telegram.org/bots/api).
export interface TgUser {
  readonly id: number;
  readonly is_bot?: boolean;
  readonly username?: string;
  readonly first_name?: string;
}

export interface TgChat {
  readonly id: number;
  readonly type: 'private' | 'group' | 'supergroup' | 'channel';
  readonly is_forum?: boolean;
}

export interface TgMessage {
  readonly message_id: number;
  readonly date: number;
  readonly chat: TgChat;
  readonly from?: TgUser;
  readonly text?: string;
  readonly message_thread_id?: number;
  readonly is_topic_message?: boolean;
}

export interface TgUpdate {
  readonly update_id: number;
  readonly message?: TgMessage;
}

/** Where a reply goes: a chat, and in a forum supergroup the topic. */
export interface ChatRef {
  readonly chatId: number;
  readonly threadId: number | null;
}

/** The session of a chat: stable across restarts, one per private chat, group, or forum topic. */
export function sessionIdFor(botId: string, chat: ChatRef): string {
  return `tg:${botId}:${chat.chatId}${chat.threadId === null ? '' : `:${chat.threadId}`}`;
}

export function chatRefOf(message: TgMessage): ChatRef {
  const topic = message.is_topic_message === true && message.message_thread_id !== undefined;
  return { chatId: message.chat.id, threadId: topic ? message.message_thread_id! : null };
}

/** Groups (negative ids) have their own, slower limit. */
export function isGroupChat(chatId: number): boolean {
  return chatId < 0;
}
